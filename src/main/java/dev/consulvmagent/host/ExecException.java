package dev.consulvmagent.host;

/** A command exited non-zero; the message names it and carries the tail of its stderr. */
public final class ExecException extends RuntimeException {
  private final transient ExecResult result;

  public ExecException(ExecResult r) {
    super(
        String.join(" ", r.argv())
            + " exited "
            + r.exitCode()
            + tail(r.stderr().isBlank() ? r.stdout() : r.stderr()));
    this.result = r;
  }

  private static String tail(String s) {
    String t = s.strip();
    if (t.isEmpty()) return "";
    if (t.length() > 600) t = "…" + t.substring(t.length() - 600);
    return ": " + t;
  }

  public ExecResult result() {
    return result;
  }
}
