package dev.consulvmagent.engine;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.regex.Pattern;

/**
 * Credentials in a URL (an authenticated mirror, https://user:password@host/...) are a secret: they
 * never reach a line people or logs see, nor a file the agent writes about a run.
 */
public final class Redact {
  private static final Pattern USERINFO =
      Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*://)[^/?#@\\s\"'<>]*@");

  private Redact() {}

  /** text with the user:password part of every URL in it replaced by "***". */
  public static String urlCredentials(String text) {
    if (text == null || text.indexOf('@') < 0) return text;
    return USERINFO.matcher(text).replaceAll("$1***@");
  }

  /** A writer that redacts each line (or what is pending at a flush) before passing it on. */
  public static PrintWriter printWriter(PrintWriter out) {
    return new PrintWriter(new LineRedactor(out), true);
  }

  private static final class LineRedactor extends Writer {
    private final PrintWriter out;
    private final StringBuilder pending = new StringBuilder();

    LineRedactor(PrintWriter out) {
      this.out = out;
    }

    @Override
    public void write(char[] buf, int off, int len) {
      for (int i = off; i < off + len; i++) {
        char c = buf[i];
        pending.append(c);
        if (c == '\n' || c == '\r') pass();
      }
    }

    private void pass() {
      if (pending.length() == 0) return;
      out.write(urlCredentials(pending.toString()));
      pending.setLength(0);
    }

    @Override
    public void flush() {
      pass();
      out.flush();
    }

    @Override
    public void close() {
      flush();
    }
  }
}
