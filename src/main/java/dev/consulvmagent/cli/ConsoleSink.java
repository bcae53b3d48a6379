package dev.consulvmagent.cli;

import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.RunEvent;
import java.io.PrintWriter;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;

/**
 * Shows a run's events on stderr. Not a terminal (cloud-init's output log, journald): one
 * timestamped line per event, a running download every five seconds. A terminal: short lines, and
 * the downloads' progress as one {@link ProgressBar}.
 */
final class ConsoleSink implements EventSink {
  private static final long LOG_EVERY_NANOS = 5_000_000_000L;
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
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
          bar != null ? "› " + text : LocalTime.now().format(TIME) + " consul-vm-agent: " + text);
      err.flush();
    }
  }
}
