package dev.consulvmagent.fleet;

import static dev.consulvmagent.fleet.HealthTracker.Sample.CRITICAL;
import static dev.consulvmagent.fleet.HealthTracker.Sample.MISSING;
import static dev.consulvmagent.fleet.HealthTracker.Sample.PASSING;
import static dev.consulvmagent.fleet.HealthTracker.Sample.WARNING;
import static dev.consulvmagent.fleet.HealthTracker.Verdict.HEALTHY;
import static dev.consulvmagent.fleet.HealthTracker.Verdict.PENDING;
import static dev.consulvmagent.fleet.HealthTracker.Verdict.UNHEALTHY;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Nomad's allocation health semantics (client/allochealth/tracker.go) on a fake timeline. */
class HealthTrackerTest {
  static final Instant T0 = Instant.parse("2026-12-07T00:00:00Z");
  static final RolloutPolicy P =
      new RolloutPolicy(1, Duration.ofSeconds(10), Duration.ofSeconds(60), false, 0, 0, false);

  static Instant at(int s) {
    return T0.plusSeconds(s);
  }

  @Test
  void healthy_onlyAfterMinHealthyTimeOfContinuousPassing() {
    HealthTracker t = new HealthTracker(P, T0);
    assertThat(t.observe(at(0), MISSING)).isEqualTo(PENDING);
    assertThat(t.observe(at(5), PASSING)).isEqualTo(PENDING);
    assertThat(t.observe(at(14), PASSING)).isEqualTo(PENDING);
    assertThat(t.observe(at(15), PASSING)).isEqualTo(HEALTHY);
    assertThat(t.observe(at(16), CRITICAL)).isEqualTo(HEALTHY); // final
  }

  @Test
  void aWarning_restartsTheTimer_asAnyNonPassingObservation() {
    HealthTracker t = new HealthTracker(P, T0);
    t.observe(at(0), PASSING);
    assertThat(t.observe(at(9), WARNING)).isEqualTo(PENDING);
    assertThat(t.observe(at(10), PASSING)).isEqualTo(PENDING);
    assertThat(t.observe(at(19), PASSING)).isEqualTo(PENDING);
    assertThat(t.observe(at(20), PASSING)).isEqualTo(HEALTHY);
  }

  @Test
  void notHealthyByTheDeadline_isUnhealthy_evenIfPassingJustBefore() {
    HealthTracker t = new HealthTracker(P, T0);
    t.observe(at(0), CRITICAL);
    assertThat(t.observe(at(55), PASSING)).isEqualTo(PENDING);
    assertThat(t.observe(at(60), PASSING)).isEqualTo(UNHEALTHY);
    assertThat(t.reason()).contains("healthy_deadline").contains("passing");
  }

  @Test
  void noAnswer_movesTheDeadline_andIsNoVerdict() {
    HealthTracker t = new HealthTracker(P, T0);
    t.observe(at(0), PASSING);
    t.pause(Duration.ofSeconds(30)); // the agent did not answer for 30s
    assertThat(t.observe(at(59), CRITICAL)).isEqualTo(PENDING);
    assertThat(t.observe(at(70), PASSING)).isEqualTo(PENDING);
    assertThat(t.observe(at(80), PASSING)).isEqualTo(HEALTHY);
  }
}
