package dev.consulvmagent.cli;

import dev.consulvmagent.engine.RunEvent;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * On a terminal: one line, redrawn in place at most ten times a second, with a bar per download
 * running in parallel ("consul [#####-----] 52% envoy [##########] done"). One per run, owned by
 * the {@link ConsoleSink} that feeds it the download events.
 */
final class ProgressBar {
  private static final long EVERY_NANOS = 100_000_000L;
  private final PrintWriter out;
  private final Map<String, long[]> downloads = new LinkedHashMap<>();
  private long last;

  ProgressBar(PrintWriter out) {
    this.out = out;
  }

  synchronized void update(String name, long done, long total, boolean force) {
    downloads.put(name, new long[] {done, total});
    long now = System.nanoTime();
    if (!force && now - last < EVERY_NANOS) return;
    last = now;
    out.print("\r" + render() + "\033[K");
    if (downloads.values().stream().allMatch(d -> d[1] > 0 && d[0] >= d[1])) {
      out.println();
      downloads.clear();
    }
    out.flush();
  }

  String render() {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, long[]> e : downloads.entrySet()) {
      long done = e.getValue()[0];
      long total = e.getValue()[1];
      if (b.length() > 0) b.append("  ");
      b.append(e.getKey().split(" ")[0]).append(' ');
      if (total <= 0) {
        b.append(RunEvent.mib(done));
        continue;
      }
      int pct = (int) Math.min(100, done * 100 / total);
      int filled = pct / 10;
      b.append('[').append("#".repeat(filled)).append("-".repeat(10 - filled)).append("] ");
      b.append(pct == 100 ? "done" : pct + "%");
    }
    return b.toString();
  }
}
