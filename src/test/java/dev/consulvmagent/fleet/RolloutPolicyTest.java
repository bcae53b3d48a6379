package dev.consulvmagent.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Nomad's update-block defaults and validation (nomad/structs/structs.go), and our JSON form. */
class RolloutPolicyTest {
  @Test
  void defaults_areNomads() {
    RolloutPolicy d = RolloutPolicy.fromJson(Map.of());
    assertThat(d.maxParallel()).isEqualTo(1);
    assertThat(d.minHealthyTime()).isEqualTo(Duration.ofSeconds(10));
    assertThat(d.healthyDeadline()).isEqualTo(Duration.ofMinutes(5));
    assertThat(d.autoRevert()).isFalse();
    assertThat(d.canary()).isZero();
    assertThat(d.problems()).isEmpty();
  }

  @Test
  void validation_isNomads_everyProblemAtOnce() {
    RolloutPolicy bad =
        new RolloutPolicy(0, Duration.ofMinutes(6), Duration.ofMinutes(5), false, -1, 0, false);
    assertThat(bad.problems())
        .anyMatch(p -> p.startsWith("max_parallel can not be less than one: 0 < 1"))
        .anyMatch(p -> p.startsWith("canary can not be less than zero"))
        .anyMatch(p -> p.startsWith("min_healthy_time must be less than healthy_deadline"));
    assertThat(new RolloutPolicy(1, Duration.ZERO, Duration.ZERO, false, 0, 0, false).problems())
        .anyMatch(p -> p.startsWith("healthy_deadline must be greater than zero"));
    // equal is refused too (Nomad: MinHealthyTime >= HealthyDeadline is an error)
    assertThat(
            new RolloutPolicy(1, Duration.ofMinutes(5), Duration.ofMinutes(5), false, 0, 0, false)
                .problems())
        .hasSize(1);
    assertThat(
            new RolloutPolicy(1, Duration.ZERO, Duration.ofMinutes(1), false, 2, 10, true)
                .problems())
        .anyMatch(p -> p.contains("set one, not both"));
    assertThat(
            new RolloutPolicy(1, Duration.ZERO, Duration.ofMinutes(1), false, 0, 0, true)
                .problems())
        .anyMatch(p -> p.contains("auto_promote needs canary"));
    assertThat(
            new RolloutPolicy(1, Duration.ZERO, Duration.ofMinutes(1), false, 0, 101, false)
                .problems())
        .anyMatch(p -> p.contains("canary_percent"));
  }

  @Test
  void canaryPercent_roundsUp_andIsAtLeastOne() {
    RolloutPolicy p =
        new RolloutPolicy(1, Duration.ZERO, Duration.ofMinutes(1), false, 0, 10, false);
    assertThat(p.canaries(200)).isEqualTo(20);
    assertThat(p.canaries(11)).isEqualTo(2);
    assertThat(p.canaries(3)).isEqualTo(1);
    assertThat(RolloutPolicy.DEFAULT.canaries(50)).isZero();
  }

  @Test
  void json_roundTrips_andRefusesUnknownOrMistypedKeys() {
    RolloutPolicy p =
        new RolloutPolicy(10, Duration.ofSeconds(90), Duration.ofMinutes(15), true, 2, 0, true);
    assertThat(RolloutPolicy.fromJson(p.toJson())).isEqualTo(p);
    assertThat(p.toJson()).containsEntry("min_healthy_time", "1m30s");
    assertThatThrownBy(() -> RolloutPolicy.fromJson(Map.of("stagger", "30s")))
        .hasMessageContaining("unknown policy key stagger");
    assertThatThrownBy(() -> RolloutPolicy.fromJson(Map.of("max_parallel", "3")))
        .hasMessageContaining("max_parallel must be a whole number");
    assertThatThrownBy(() -> RolloutPolicy.fromJson(Map.of("min_healthy_time", "10 s")))
        .hasMessageContaining("not a duration");
  }

  @Test
  void goDurations() {
    assertThat(GoDuration.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(GoDuration.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(GoDuration.parse("0")).isZero();
    assertThat(GoDuration.format(Duration.ofSeconds(3725))).isEqualTo("1h2m5s");
    for (String bad : new String[] {"", "10", "s", "-1s", "1d", "10s ", "9999999999s"})
      assertThatThrownBy(() -> GoDuration.parse(bad)).isInstanceOf(IllegalArgumentException.class);
  }
}
