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
 *
 * <p>It also enforces a low-speed limit the way curl's --speed-limit/--speed-time do (curl's
 * lib/speedcheck.c: a transfer slower than the limit for the whole of speed-time is aborted): every
 * tick it takes the speed since the previous tick, and a call that has stayed below the limit for
 * speedTime is cancelled for good (no retry: a trickling mirror stays one).
 */
final class StallWatchdog {
  private final long limitNanos;
  private final long tickMillis;
  private final long speedLimit;
  private final long speedTimeNanos;
  private final Set<Watch> active = ConcurrentHashMap.newKeySet();
  private Thread thread;

  StallWatchdog(Duration limit) {
    this(limit, 0, Duration.ZERO);
  }

  /** With a low-speed limit: below speedLimit bytes/s for speedTime ends the download. */
  StallWatchdog(Duration limit, long speedLimit, Duration speedTime) {
    this.limitNanos = limit.toNanos();
    this.speedLimit = speedTime.isZero() ? 0 : speedLimit;
    this.speedTimeNanos = speedTime.toNanos();
    long tick = Math.max(10, Math.min(1000, limit.toMillis() / 4));
    if (this.speedLimit > 0) tick = Math.max(10, Math.min(tick, speedTime.toMillis() / 4));
    this.tickMillis = tick;
  }

  long speedLimit() {
    return speedLimit;
  }

  Duration speedTime() {
    return Duration.ofNanos(speedTimeNanos);
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
        if (speedLimit > 0 && !w.slow) checkSpeed(w, now);
        if (!w.fired && (late || w.slow || now - w.last > limitNanos)) {
          w.fired = true;
          Call c = w.call;
          if (c != null) c.cancel();
        }
      }
    }
  }

  /** The speed since the previous tick; below the limit for speedTime marks the watch slow. */
  private void checkSpeed(Watch w, long now) {
    long since = now - w.tickStart;
    if (since <= 0) return;
    long got = w.bytes;
    double rate = (got - w.tickBytes) * 1e9 / since;
    if (rate < speedLimit) {
      if (w.slowSince == 0) w.slowSince = w.tickStart == 0 ? 1 : w.tickStart;
      if (now - w.slowSince >= speedTimeNanos) w.slow = true;
    } else {
      w.slowSince = 0;
    }
    w.tickStart = now;
    w.tickBytes = got;
  }

  final class Watch implements AutoCloseable {
    private volatile long bytes;
    private long tickStart = System.nanoTime(); // the watchdog thread's own
    private long tickBytes;
    private long slowSince; // 0: not below the limit
    private volatile boolean slow;
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
      if (expired() || slow) c.cancel();
    }

    void progress() {
      last = System.nanoTime();
    }

    /** n more bytes arrived (for the low-speed limit; also progress). */
    void progress(int n) {
      bytes += n; // one reader thread per watch
      last = System.nanoTime();
    }

    /** True once the download stayed below the low-speed limit for its time: over, no retry. */
    boolean slow() {
      return slow;
    }

    /** Bytes counted by {@link #progress(int)}. */
    long bytes() {
      return bytes;
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
