package dev.consulvmagent.spec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Invalid agent configuration. Names the key path (and the line where known). Exit code 3. One
 * exception may carry every problem found in the file ({@link #problems()}), so a config is fixed
 * in one round, not one error per run.
 */
public final class SpecException extends RuntimeException {
  /** Problems listed in one message; the rest are counted. */
  static final int MAX_LISTED = 50;

  /** A message longer than this is cut in the middle (it never echoes a megabyte value). */
  static final int MAX_MESSAGE = 600;

  private final String path;
  private final int line;
  private final String detail;
  private final List<SpecException> problems;
  private final String source;

  public SpecException(String path, int line, String message) {
    super(format(path, line, message));
    this.path = path;
    this.line = line;
    this.detail = message;
    this.problems = List.of(this);
    this.source = null;
  }

  public SpecException(String path, String message) {
    this(path, -1, message);
  }

  private SpecException(List<SpecException> all) {
    super(formatAll(all));
    this.path = all.get(0).path;
    this.line = all.get(0).line;
    this.detail = getMessage();
    this.problems = List.copyOf(all);
    this.source = null;
  }

  private SpecException(SpecException e, String source, String message) {
    super(message);
    this.path = e.path;
    this.line = e.line;
    this.detail = e.detail;
    this.problems = e.problems.size() == 1 && e.problems.get(0) == e ? List.of(this) : e.problems;
    this.source = source;
  }

  /**
   * The same problems, said of the file they were read from: {@code /etc/consul-vm-agent/agent.yaml
   * line 6: YAML syntax error …} rather than {@code config (line 6)}, and {@code FILE:} before
   * keyed ones (their lines are lines of that file).
   */
  public SpecException in(String source) {
    if (this.source != null) return this;
    // a problem with the file itself (missing, not a regular file) already names it
    if (getMessage().contains(source)) return new SpecException(this, source, getMessage());
    boolean whole = problems.size() == 1 && (path == null || path.isEmpty());
    String m =
        whole
            ? sanitize(source + (line > 0 ? " line " + line : "") + ": " + detail)
            : sanitize(source) + ": " + getMessage();
    return new SpecException(this, source, m);
  }

  /** The same, with a line of advice after the problems (none when hint is empty). */
  public SpecException withHint(String hint) {
    return hint.isEmpty() ? this : new SpecException(this, source, getMessage() + "\n" + hint);
  }

  /** The file (or user-data entry) the problems are in, when known. */
  public Optional<String> source() {
    return Optional.ofNullable(source);
  }

  /** One exception for all of these problems (in line order), or the single one. */
  public static SpecException of(List<SpecException> found) {
    List<SpecException> flat = new ArrayList<>();
    Set<String> messages = new HashSet<>();
    Set<String> places = new HashSet<>();
    for (SpecException e : found) {
      for (SpecException p : e.problems()) {
        // one problem per place: a value refused by the reader and again by its field's check
        String place = p.line > 0 ? p.line + " " + p.path : null;
        if (messages.contains(p.getMessage()) || (place != null && places.contains(place)))
          continue;
        messages.add(p.getMessage());
        if (place != null) places.add(place);
        flat.add(p);
      }
    }
    if (flat.isEmpty()) throw new IllegalArgumentException("no problems");
    if (flat.size() == 1) return flat.get(0);
    flat.sort(Comparator.comparingInt(e -> e.line < 0 ? Integer.MAX_VALUE : e.line));
    return new SpecException(flat);
  }

  private static String formatAll(List<SpecException> all) {
    StringBuilder b = new StringBuilder(all.size() + " problems:");
    for (int i = 0; i < Math.min(all.size(), MAX_LISTED); i++) {
      b.append("\n  ").append(all.get(i).getMessage());
    }
    if (all.size() > MAX_LISTED)
      b.append("\n  … and ").append(all.size() - MAX_LISTED).append(" more");
    return b.toString();
  }

  private static String format(String path, int line, String message) {
    String where = path == null || path.isEmpty() ? "config" : path;
    return sanitize(where + (line > 0 ? " (line " + line + ")" : "") + ": " + message);
  }

  /**
   * An overlong message cut in the middle, keeping the field at the start and the hint at the end,
   * and control characters shown as escapes (a message goes to a terminal and the journal): the
   * last line of defence when a caller quoted a value without Validators.quote.
   */
  static String sanitize(String m) {
    if (m.length() > MAX_MESSAGE) {
      m =
          m.substring(0, MAX_MESSAGE - 200)
              + " …("
              + m.length()
              + " characters in all)… "
              + m.substring(m.length() - 200);
    }
    StringBuilder b = new StringBuilder(m.length());
    m.codePoints()
        .forEach(
            cp -> {
              if (Validators.isUnsafeChar(cp)) b.append(String.format("\\u%04X", cp));
              else b.appendCodePoint(cp);
            });
    return b.toString();
  }

  public String path() {
    return path;
  }

  /** The message without the path and line. */
  public String detail() {
    return detail;
  }

  public int line() {
    return line;
  }

  /** Every problem this exception reports (itself when it is a single one). */
  public List<SpecException> problems() {
    return problems;
  }
}
