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
      return String.format(
          "downloaded %s: %s in %.1fs (%.1f MiB/s)",
          name, mib(bytes), secs, bytes / 1048576.0 / secs);
    }
  }

  /** "12.3 MiB". */
  static String mib(long b) {
    return String.format("%.1f MiB", b / 1048576.0);
  }
}
