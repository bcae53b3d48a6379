package dev.consulvmagent.spec;

/** Invalid agent configuration. Names the key path (and the line where known). Exit code 3. */
public final class SpecException extends RuntimeException {
  private final String path;
  private final int line;

  public SpecException(String path, int line, String message) {
    super(format(path, line, message));
    this.path = path;
    this.line = line;
  }

  public SpecException(String path, String message) {
    this(path, -1, message);
  }

  private static String format(String path, int line, String message) {
    String where = path == null || path.isEmpty() ? "config" : path;
    return where + (line > 0 ? " (line " + line + ")" : "") + ": " + message;
  }

  public String path() {
    return path;
  }

  public int line() {
    return line;
  }
}
