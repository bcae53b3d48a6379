package dev.consulvmagent.artifact;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.Call;

/**
 * The read timeout: cancels a call that has made no progress (no response, no bytes) for the limit.
 * okhttp's own read timeout arms and disarms a timer around every 8 KiB read — two hand-offs to its
 * watchdog thread each time, a quarter of the CPU of a cold download; here a read costs one clock
 * read, and one thread looks at all downloads a few times per limit.
 */
final class StallWatchdog {
  private final long limitNanos;
  private final long tickMillis;
  private final Set<Watch> active = ConcurrentHashMap.newKeySet();
  private Thread thread;

  StallWatchdog(Duration limit) {
    this.limitNanos = limit.toNanos();
    this.tickMillis = Math.max(10, Math.min(1000, limit.toMillis() / 4));
  }

  Duration limit() {
    return Duration.ofNanos(limitNanos);
  }

  /** Starts watching; arm() each call, progress() on each read, close() when done. */
  Watch watch() {
    return watch(null);
  }

  /**
   * Watching with an overall deadline as well: a drip of a byte now and then never stalls, but the
   * whole download (retries included) still ends once the deadline has passed.
   */
  Watch watch(Duration deadline) {
    Watch w = new Watch(deadline);
    active.add(w);
    start();
    return w;
  }

  private synchronized void start() {
    if (thread != null) return;
    thread = new Thread(this::loop, "download watchdog");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    while (true) {
      try {
        Thread.sleep(tickMillis);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      for (Watch w : active) {
        boolean late = w.deadline != 0 && now - w.deadline > 0;
        if (late) w.expired = true;
        if (!w.fired && (late || now - w.last > limitNanos)) {
          w.fired = true;
          Call c = w.call;
          if (c != null) c.cancel();
        }
      }
    }
  }

  final class Watch implements AutoCloseable {
    private volatile Call call;
    private volatile long last = System.nanoTime();
    private volatile boolean fired;
    private volatile boolean expired;
    private final long deadline; // System.nanoTime() value; 0: none
    private final Duration allowed;

    private Watch(Duration allowed) {
      this.allowed = allowed;
      long d = allowed == null ? 0 : System.nanoTime() + allowed.toNanos();
      this.deadline = allowed != null && d == 0 ? 1 : d;
    }

    /** True once the overall deadline has passed: the download is over, no retry. */
    boolean expired() {
      if (!expired && deadline != 0 && System.nanoTime() - deadline > 0) expired = true;
      return expired;
    }

    Duration allowed() {
      return allowed;
    }

    /** A new call (first try, retry, redirect): the clock starts again. */
    void arm(Call c) {
      // clock and call first: once the watchdog reads fired == false it sees them too
      last = System.nanoTime();
      call = c;
      fired = false;
      if (expired()) c.cancel();
    }

    void progress() {
      last = System.nanoTime();
    }

    /** True when the last failure was this watchdog cancelling a stalled call. */
    boolean fired() {
      return fired;
    }

    @Override
    public void close() {
      active.remove(this);
    }
  }
}
