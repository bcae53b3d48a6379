package dev.consulvmagent.fleet;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Whether a VM became healthy after an apply, with the semantics of Nomad's allocation health
 * tracker (hashicorp/nomad client/allochealth/tracker.go): healthy only when every check is passing
 * (a warning counts as not healthy) continuously for {@code min_healthy_time}; any non-passing
 * observation restarts that timer; not healthy by {@code healthy_deadline} after the start is
 * unhealthy. The caller feeds observations with their time (a fake clock in tests).
 */
public final class HealthTracker {
  /** One look at the VM: every check of the service and its sidecar, and Envoy's readiness. */
  public enum Sample {
    /** every check passing (and Envoy ready) */
    PASSING,
    /** a check in warning: not healthy (Nomad counts only passing) */
    WARNING,
    /** a check critical, or Envoy not ready */
    CRITICAL,
    /** the service or a check is not registered (yet) */
    MISSING
  }

  public enum Verdict {
    PENDING,
    HEALTHY,
    UNHEALTHY
  }

  private final Duration minHealthy;
  private Instant deadline;
  private Optional<Instant> passingSince = Optional.empty();
  private Verdict verdict = Verdict.PENDING;
  private Sample last = Sample.MISSING;

  public HealthTracker(RolloutPolicy policy, Instant start) {
    this.minHealthy = policy.minHealthyTime();
    this.deadline = start.plus(policy.healthyDeadline());
  }

  /** Records one observation at {@code now}; returns the verdict (final once not PENDING). */
  public Verdict observe(Instant now, Sample s) {
    if (verdict != Verdict.PENDING) return verdict;
    last = s;
    if (s == Sample.PASSING) {
      if (passingSince.isEmpty()) passingSince = Optional.of(now);
      if (!now.isBefore(passingSince.get().plus(minHealthy))) verdict = Verdict.HEALTHY;
    } else {
      passingSince = Optional.empty(); // the min_healthy_time timer restarts
    }
    if (verdict == Verdict.PENDING && !now.isBefore(deadline)) verdict = Verdict.UNHEALTHY;
    return verdict;
  }

  /**
   * No observation could be made (the local agent did not answer): that is not a verdict. The
   * deadline moves on by {@code d} and the healthy timer restarts.
   */
  public void pause(Duration d) {
    deadline = deadline.plus(d);
    passingSince = Optional.empty();
  }

  public Verdict verdict() {
    return verdict;
  }

  /** Why it is not healthy, for the report. */
  public String reason() {
    return switch (verdict) {
      case HEALTHY -> "healthy";
      case PENDING -> "waiting for health (last: " + last.name().toLowerCase() + ")";
      case UNHEALTHY ->
          "not healthy within healthy_deadline (last: " + last.name().toLowerCase() + ")";
    };
  }
}
