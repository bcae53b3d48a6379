package dev.consulvmagent.cli;

import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.RunEvent;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.TimeZone;

/**
 * Shows a run's events on stderr. Not a terminal (cloud-init's output log, journald): one
 * timestamped line per event, a running download every five seconds. A terminal: short lines, and
 * the downloads' progress as one {@link ProgressBar}.
 */
final class ConsoleSink implements EventSink {
  private static final long LOG_EVERY_NANOS = 5_000_000_000L;
  private final PrintWriter err;
  private final boolean verbose;
  private final ProgressBar bar;
  private final Map<String, Long> lastLogged = new HashMap<>();

  ConsoleSink(PrintWriter err, boolean verbose, boolean terminal) {
    this.err = err;
    this.verbose = verbose;
    this.bar = terminal ? new ProgressBar(err) : null;
  }

  @Override
  public void emit(RunEvent event) {
    // Java 17: no pattern switch yet; RunEvent is sealed, so this chain is the whole list
    if (event instanceof RunEvent.Message m) {
      if (!m.verbose() || verbose) line(m.text());
    } else if (event instanceof RunEvent.DownloadProgress p) {
      if (bar != null) {
        bar.update(p.name(), p.done(), p.total(), false);
      } else if (due(p.name())) {
        line(p.text());
      }
    } else if (event instanceof RunEvent.DownloadFinished f) {
      if (bar != null) bar.update(f.name(), f.bytes(), f.bytes(), true);
      line(f.text());
    } else if (event instanceof RunEvent.DownloadStarted s) {
      synchronized (lastLogged) {
        lastLogged.put(s.name(), System.nanoTime());
      }
      line(s.text());
    } else {
      line(event.text());
    }
  }

  private boolean due(String name) {
    long now = System.nanoTime();
    synchronized (lastLogged) {
      Long last = lastLogged.get(name);
      if (last != null && now - last < LOG_EVERY_NANOS) return false;
      lastLogged.put(name, now);
      return true;
    }
  }

  private void line(String text) {
    synchronized (err) {
      err.println(
          bar != null
              ? "› " + text
              : clock(System.currentTimeMillis()) + " consul-vm-agent: " + text);
      err.flush();
    }
  }

  /**
   * The local time of day as HH:mm:ss, what LocalTime.now() formatted says. Not java.time: its zone
   * rules come through a ServiceLoader, which opens and indexes the whole jar (~15,000 entries),
   * some 25 ms of every run that prints a line; TimeZone reads the same tzdb without it.
   */
  static String clock(long millis) {
    long local = millis + TimeZone.getDefault().getOffset(millis);
    long s = Math.floorMod(Math.floorDiv(local, 1000L), 86_400L);
    return two(s / 3600) + ":" + two(s / 60 % 60) + ":" + two(s % 60);
  }

  private static String two(long v) {
    return v < 10 ? "0" + v : Long.toString(v);
  }
}
