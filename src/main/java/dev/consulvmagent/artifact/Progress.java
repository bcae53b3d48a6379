package dev.consulvmagent.artifact;

import dev.consulvmagent.engine.EventSink;

/** Log lines for a download: at the start, every few seconds, and at the end with size and rate. */
final class Progress {
  private static final long EVERY_NANOS = 5_000_000_000L;
  private final EventSink sink;
  private final String name;
  private final long total;
  private final long start = System.nanoTime();
  private long last = start;
  private final ProgressBar bar = ProgressBar.forTerminal();

  Progress(EventSink sink, String name, String url, long total) {
    this.sink = sink;
    this.name = name;
    this.total = total;
    sink.info("downloading " + name + " from " + url + (total > 0 ? " (" + mib(total) + ")" : ""));
  }

  void update(long done) {
    if (bar != null) {
      bar.update(name, done, total, false);
      return;
    }
    long now = System.nanoTime();
    if (now - last >= EVERY_NANOS) {
      last = now;
      sink.info("  " + name + ": " + mib(done) + (total > 0 ? " of " + mib(total) + " (" + (done * 100 / total) + "%)" : ""));
    }
  }

  void done(long bytes) {
    if (bar != null) bar.update(name, bytes, total > 0 ? total : bytes, true);
    double secs = Math.max(1e-3, (System.nanoTime() - start) / 1e9);
    sink.info(String.format("downloaded %s: %s in %.1fs (%.1f MiB/s)", name, mib(bytes), secs, bytes / 1048576.0 / secs));
  }

  static String mib(long b) {
    return String.format("%.1f MiB", b / 1048576.0);
  }
}
