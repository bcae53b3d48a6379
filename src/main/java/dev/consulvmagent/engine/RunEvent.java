package dev.consulvmagent.engine;

/**
 * What a run reports while it works, as data: the CLI decides how each is shown (a timestamped log
 * line, a terminal progress bar, nothing). {@link #text()} is the event's log line.
 */
public sealed interface RunEvent {
  String text();

  /** A progress line; verbose ones are shown only with --verbose. */
  record Message(String text, boolean verbose) implements RunEvent {}

  /** A resource was converged ("create", "update", "delete" + its key). */
  record ResourceChanged(String key, String action) implements RunEvent {
    @Override
    public String text() {
      return action + " " + key;
    }
  }

  /** A download began; total is -1 when the server did not say. */
  record DownloadStarted(String name, String url, long total) implements RunEvent {
    @Override
    public String text() {
      return "downloading " + name + " from " + url + (total > 0 ? " (" + mib(total) + ")" : "");
    }
  }

  /** Bytes of a running download so far (sent at most a few times a second). */
  record DownloadProgress(String name, long done, long total) implements RunEvent {
    @Override
    public String text() {
      return "  "
          + name
          + ": "
          + mib(done)
          + (total > 0 ? " of " + mib(total) + " (" + (done * 100 / total) + "%)" : "");
    }
  }

  /** A download ended with all its bytes. */
  record DownloadFinished(String name, long bytes, long nanos) implements RunEvent {
    @Override
    public String text() {
      double secs = Math.max(1e-3, nanos / 1e9);
      // doubles rounded to tenths as %.1f does (half up), without a locale (see mib)
      return "downloaded "
          + name
          + ": "
          + mib(bytes)
          + " in "
          + tenths(Math.round(secs * 10))
          + "s ("
          + tenths(Math.round(bytes / 1048576.0 / secs * 10))
          + " MiB/s)";
    }
  }

  /**
   * "12.3 MiB". Integer tenths, not String.format("%.1f"): formatting a double loads the JDK's
   * locale data (CLDR) in every run that downloads (as CopyResource.size says for the no-op).
   */
  static String mib(long b) {
    return tenths((b * 10 + (1L << 19)) >> 20) + " MiB";
  }

  /** tenths of a unit as "12.3". */
  static String tenths(long t) {
    return t / 10 + "." + t % 10;
  }
}
