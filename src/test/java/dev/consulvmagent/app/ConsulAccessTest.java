package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.spec.Secret;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one endpoint a command resolves: flag over Consul's variable over the config's address over
 * 127.0.0.1:8500 (hashicorp/consul api/api.go defaultConfig), and the token file a secure-mode
 * Envoy env file names (CONSUL_HTTP_TOKEN_FILE) reaches sidecar-wait and redirect-traffic.
 */
class ConsulAccessTest {
  @TempDir Path tmp;

  private static final Optional<String> CONFIG = Optional.of("http://127.0.0.2:8500");

  @Test
  void order_flagThenEnvironmentThenConfigThenDefault() {
    Map<String, String> env = Map.of("CONSUL_HTTP_ADDR", "10.0.0.9:8500");
    assertThat(
            new ConsulAccess(
                    ConsulAccess.flags(Optional.of("http://10.0.0.1:8500"), Optional.empty()), env)
                .resolve(CONFIG)
                .display())
        .isEqualTo("http://10.0.0.1:8500");
    assertThat(
            new ConsulAccess(ConsulAccess.flags(Optional.empty(), Optional.empty()), env)
                .resolve(CONFIG)
                .display())
        .isEqualTo("http://10.0.0.9:8500");
    assertThat(ConsulAccess.NONE.resolve(CONFIG).display()).isEqualTo("http://127.0.0.2:8500");
    assertThat(ConsulAccess.NONE.resolve(Optional.empty()).display())
        .isEqualTo(ConsulEndpoint.LOCAL.display());
  }

  @Test
  void tokenFileOfTheEnvironment_isTheToken() throws Exception {
    Path file = tmp.resolve("web.token");
    Files.writeString(file, "s3rvice-t0ken\n");
    ConsulEndpoint e =
        new ConsulAccess(
                ConsulAccess.flags(Optional.empty(), Optional.empty()),
                Map.of("CONSUL_HTTP_TOKEN_FILE", file.toString(), "CONSUL_HTTP_TOKEN", "other"))
            .resolve(Optional.empty());
    // Consul's order: a token file, when set and not blank, wins over a token
    assertThat(e.token()).contains(new Secret("s3rvice-t0ken"));
    assertThat(e.toString()).doesNotContain("s3rvice-t0ken");
  }

  @Test
  void defaultToken_onlyWhenNoneWasGiven() {
    ConsulEndpoint none = ConsulAccess.NONE.resolve(Optional.empty());
    assertThat(ConsulAccess.withDefaultToken(none, Optional.of("d")).token())
        .contains(new Secret("d"));
    ConsulEndpoint given =
        new ConsulAccess(ConsulAccess.flags(Optional.empty(), Optional.of("mine")), Map.of())
            .resolve(Optional.empty());
    assertThat(ConsulAccess.withDefaultToken(given, Optional.of("d")).token())
        .contains(new Secret("mine"));
  }
}
