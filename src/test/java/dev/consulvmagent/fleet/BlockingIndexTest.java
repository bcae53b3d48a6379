package dev.consulvmagent.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The blocking-query rules of Consul's docs and api/watch/plan.go. */
class BlockingIndexTest {
  static final Instant T = Instant.parse("2026-12-07T00:00:00Z");

  @Test
  void followsTheIndex_resetsWhenItGoesBackwards_neverBlocksOnZero() {
    BlockingIndex b = BlockingIndex.standard();
    assertThat(b.index()).isZero(); // the first read does not block
    b.answered(40, T);
    assertThat(b.index()).isEqualTo(40);
    b.answered(12, T.plusSeconds(5)); // a snapshot restore: backwards
    assertThat(b.index()).isZero(); // re-read at once, everything
    b.answered(12, T.plusSeconds(10));
    assertThat(b.index()).isEqualTo(12);
    b.answered(0, T.plusSeconds(20)); // Consul bug: 0 would spin
    assertThat(b.index()).isZero(); // backwards from 12: one immediate re-read
    b.answered(0, T.plusSeconds(30));
    assertThat(b.index()).isEqualTo(1); // never block on 0
  }

  @Test
  void fastAnswers_areSpacedOut() {
    BlockingIndex b = BlockingIndex.standard();
    b.answered(5, T);
    assertThat(b.answered(6, T.plusMillis(200))).isEqualTo(Duration.ofMillis(800));
    assertThat(b.answered(7, T.plusSeconds(5))).isZero();
  }

  @Test
  void failures_backOffQuadratically_cappedAt180s_andResetTheIndex() {
    BlockingIndex b = BlockingIndex.standard();
    b.answered(99, T);
    assertThat(b.failed()).isEqualTo(Duration.ofSeconds(5));
    assertThat(b.index()).isZero();
    assertThat(b.failed()).isEqualTo(Duration.ofSeconds(20));
    assertThat(b.failed()).isEqualTo(Duration.ofSeconds(45));
    for (int i = 0; i < 10; i++) b.failed();
    assertThat(b.failed()).isEqualTo(Duration.ofSeconds(180));
    b.answered(100, T.plusSeconds(999));
    assertThat(b.failed()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void waitIsClampedToTenMinutes() {
    assertThat(BlockingIndex.clampWait(Duration.ofHours(1))).isEqualTo(Duration.ofMinutes(10));
    assertThat(BlockingIndex.clampWait(Duration.ofMinutes(5))).isEqualTo(Duration.ofMinutes(5));
  }
}
