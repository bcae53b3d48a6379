package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.consul.ConsulDns;
import java.io.IOException;
import java.net.UnknownHostException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The doctor's probes each end by their deadline (DoctorDnsRealTest: the dns check itself). */
class DoctorProbeTest {
  @Test
  void aResolverThatHangs_isGivenUpOnAtTheDeadline() {
    ConsulDns.Lookup hangs =
        name -> {
          try {
            Thread.sleep(30_000); // glibc with an unreachable nameserver: 5 s a try, twice
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return "10.0.0.1";
        };
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> Doctor.withDeadline(hangs, Duration.ofMillis(300)).resolve("x"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no answer within 0.3 s");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void aResolverThatAnswersOrFails_passesThrough() throws IOException {
    assertThat(Doctor.withDeadline(n -> "10.0.0.7", Duration.ofSeconds(2)).resolve("x"))
        .isEqualTo("10.0.0.7");
    assertThatThrownBy(
            () ->
                Doctor.withDeadline(
                        n -> {
                          throw new UnknownHostException(n);
                        },
                        Duration.ofSeconds(2))
                    .resolve("nosuch.consul"))
        .isInstanceOf(UnknownHostException.class);
  }
}
