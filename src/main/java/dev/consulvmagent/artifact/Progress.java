package dev.consulvmagent.artifact;

import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.RunEvent;

/**
 * A download's events: started, bytes so far (at most ten a second: a read is 64 KiB, so a fast
 * download would otherwise send thousands), finished. How they look is the CLI's choice.
 */
final class Progress {
  private static final long EVERY_NANOS = 100_000_000L;
  private final EventSink sink;
  private final String name;
  private final long total;
  private final long start = System.nanoTime();
  private long last = start;

  Progress(EventSink sink, String name, String url, long total) {
    this.sink = sink;
    this.name = name;
    this.total = total;
    sink.emit(new RunEvent.DownloadStarted(name, url, total));
  }

  void update(long done) {
    long now = System.nanoTime();
    if (now - last >= EVERY_NANOS) {
      last = now;
      sink.emit(new RunEvent.DownloadProgress(name, done, total));
    }
  }

  void done(long bytes) {
    sink.emit(new RunEvent.DownloadFinished(name, bytes, System.nanoTime() - start));
  }
}
