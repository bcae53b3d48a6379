package dev.consulvmagent.fleet;

import java.time.Duration;
import java.time.Instant;

/**
 * The client side of Consul's blocking queries, as its docs ask ("Blocking Queries", Consul API
 * docs, the same text since 1.x: developer.hashicorp.com/consul/api-docs/features/blocking) and as
 * its own watch loop does (hashicorp/consul api/watch/plan.go):
 *
 * <ul>
 *   <li>the next request waits on the X-Consul-Index of the last answer, {@code wait} at most 10m
 *       (Consul adds up to wait/16 of jitter);
 *   <li>an index that goes backwards (a snapshot restore, a new cluster) resets to 0: the next read
 *       does not block and returns everything again, so nothing is missed;
 *   <li>never block on 0: an answer with index 0 or less (a Consul bug the docs warn of) is taken
 *       as 1, so the next read blocks instead of spinning;
 *   <li>answers that come back faster than {@link #minInterval} are spaced out (keys churning);
 *   <li>failures back off quadratically, 5s × failures², capped at 180s (plan.go's retryInterval
 *       and maxBackoffTime), and reset the index to 0.
 * </ul>
 */
public final class BlockingIndex {
  public static final Duration MAX_WAIT = Duration.ofMinutes(10);

  private final Duration retryInterval;
  private final Duration maxBackoff;
  private final Duration minInterval;
  private long index;
  private int failures;
  private Instant lastAnswer = Instant.EPOCH;
  private boolean backwards;

  public BlockingIndex(Duration retryInterval, Duration maxBackoff, Duration minInterval) {
    this.retryInterval = retryInterval;
    this.maxBackoff = maxBackoff;
    this.minInterval = minInterval;
  }

  public static BlockingIndex standard() {
    return new BlockingIndex(Duration.ofSeconds(5), Duration.ofSeconds(180), Duration.ofSeconds(1));
  }

  /** The index for the next request (0: do not block). */
  public long index() {
    return index;
  }

  /** Clamps a wait to Consul's 10 minutes. */
  public static Duration clampWait(Duration wait) {
    return wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
  }

  /** Records an answer's index; returns how long to pause before the next request (rate limit). */
  public Duration answered(long returned, Instant now) {
    failures = 0;
    backwards = returned < index;
    if (backwards) index = 0; // went backwards: re-read everything without blocking
    else index = Math.max(returned, 1); // never block on 0
    Duration since = Duration.between(lastAnswer, now);
    lastAnswer = now;
    return since.compareTo(minInterval) < 0 ? minInterval.minus(since) : Duration.ZERO;
  }

  /**
   * Whether the last answer's index was below the one asked with: the store was restored from a
   * snapshot (or replaced), so what was written since may be gone.
   */
  public boolean wentBackwards() {
    return backwards;
  }

  /** Forces the next read to be immediate (after a local change that needs a fresh look). */
  public void reset() {
    index = 0;
  }

  /** Records a failure; returns how long to back off before trying again. */
  public Duration failed() {
    failures++;
    index = 0;
    Duration retry = retryInterval.multipliedBy((long) failures * failures);
    return retry.compareTo(maxBackoff) > 0 ? maxBackoff : retry;
  }

  public int failures() {
    return failures;
  }
}
