package dev.consulvmagent.consul;

import dev.consulvmagent.spec.Secret;
import java.time.Duration;
import java.util.Optional;

/**
 * Per-call options (hashicorp/consul api/api.go QueryOptions, the subset we use): a blocking
 * query's {@code index} and {@code wait} (Consul caps wait at 10 minutes and adds up to wait/16 of
 * jitter: docs "Blocking Queries"), a token that replaces the endpoint's for this call, and {@code
 * consistent} reads.
 */
public record ConsulQuery(
    long index, Duration waitTime, Optional<Secret> token, boolean consistent) {
  /** Consul's own cap on {@code wait} (agent/http.go parseWait: maxQueryTime 600 s). */
  public static final Duration MAX_WAIT = Duration.ofMinutes(10);

  public static final ConsulQuery NONE = new ConsulQuery(0, Duration.ZERO, Optional.empty(), false);

  public ConsulQuery {
    if (index < 0) throw new IllegalArgumentException("index must not be negative");
    if (waitTime.isNegative() || waitTime.compareTo(MAX_WAIT) > 0)
      throw new IllegalArgumentException("wait must be between 0 and 10 minutes");
  }

  /**
   * A blocking read: returns when the index passes {@code index} or after about {@code wait}. Index
   * 0 never blocks (docs: "an index of 0 ... returns immediately"), so callers must not loop on it
   * without a pause.
   */
  public static ConsulQuery blocking(long index, Duration wait) {
    return new ConsulQuery(index, wait, Optional.empty(), false);
  }

  public ConsulQuery withToken(Secret t) {
    return new ConsulQuery(index, waitTime, Optional.of(t), consistent);
  }

  public ConsulQuery consistentRead() {
    return new ConsulQuery(index, waitTime, token, true);
  }

  /** How long the server may hold the call: wait plus Consul's jitter of up to wait/16. */
  Duration serverHold() {
    return index > 0 ? waitTime.plus(waitTime.dividedBy(16)) : Duration.ZERO;
  }
}
