package dev.consulvmagent.consul;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.testing.RealConsul;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real 1.8.7 agent closes every connection past `limits.http_max_conns_per_client` from one
 * address (a reset at the client). Code that builds a ConsulHttp per call (every polling loop in
 * the tests, and each command's own) must not hold a connection per instance.
 */
class ConsulConnectionsRealTest {
  static final int LIMIT = 8;

  @Test
  void manyShortLivedClients_stayUnderTheAgentsPerClientLimit(@TempDir Path tmp) {
    try (RealConsul dev =
        RealConsul.dev(
                tmp,
                d ->
                    Files.writeString(
                        d.resolve("limits.json"),
                        "{\"limits\": {\"http_max_conns_per_client\": " + LIMIT + "}}"))
            .awaitLeader()) {
      ConsulEndpoint at = ConsulEndpoint.of(dev.httpAddr());
      for (int i = 0; i < LIMIT * 6; i++) {
        ConsulHttp.Raw a =
            new ConsulHttp(at, Duration.ofSeconds(5))
                .exchange("GET", "/v1/agent/self", null, ConsulQuery.NONE);
        assertThat(a.code()).as("call %d", i).isEqualTo(200);
      }
    }
  }
}
