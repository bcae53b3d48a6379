package dev.consulvmagent.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecException;
import dev.consulvmagent.spec.SpecLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A secure client's service: registered, and Envoy started, only with its own token (the file the
 * cluster step's login writes), the token as the service definition's {@code token} and Envoy's
 * CONSUL_HTTP_TOKEN_FILE; and the service block's {@code intentions: {allow_from}}.
 */
public class SecureServiceModuleTest {
  @TempDir Path root;

  static final String JWT =
      "eyJhbGciOiJFUzI1NiJ9.eyJub2RlIjoiY291bnRpbmctMSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
  static final String CA =
      "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIRAJ4Ax0000000000000000000\n"
          + "-----END CERTIFICATE-----\n";

  public static String client(String intentions) {
    return "consul:\n  version: \"1.8.7\"\n  role: client\n  node_name: counting-1\n"
        + "  retry_join: [\"192.0.2.10\"]\n"
        + "envoy:\n  version: \"1.14.7\"\n"
        + "service:\n  name: counting\n  port: 9003\n  transparent_proxy: false\n"
        + intentions
        + "security:\n  ca_cert: |\n"
        + CA.lines().map(l -> "    " + l + "\n").reduce("", String::concat)
        + "  intro_token: \""
        + JWT
        + "\"\n";
  }

  @Test
  void allowFrom_isReadBesideTheSimpleForm_andUnknownKeysRefused() {
    AgentSpec spec =
        new SpecLoader()
            .parse(
                client("  intentions:\n    allow_from: [dashboard, web, dashboard]\n")
                    .getBytes(StandardCharsets.UTF_8));
    assertThat(spec.service().orElseThrow().allowFrom()).containsExactly("dashboard", "web");
    assertThatThrownBy(
            () ->
                new SpecLoader()
                    .parse(
                        client("  intentions:\n    deny_from: [x]\n")
                            .getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining("deny_from");
  }

  @Test
  void beforeLogin_nothingIsRegistered_afterLogin_theTokenGoesToRegistrationAndEnvoy()
      throws Exception {
    String yaml = client("  intentions:\n    allow_from: [dashboard]\n");
    Map<String, String> before = VersionAwareModulesTest.files(yaml, root);
    assertThat(before).doesNotContainKeys("/etc/consul.d/service-registration.json");
    assertThat(before).doesNotContainKeys("/srv/consul/service-config.json");

    String token = "5d1c6a4e-0b6f-4d0e-9a53-7f4a3f1c2b9e";
    Files.createDirectories(root.resolve("etc/consul.d/tokens"));
    Files.writeString(root.resolve("etc/consul.d/tokens/counting.token"), token + "\n");
    Map<String, String> after = VersionAwareModulesTest.files(yaml, root);
    assertThat(after.get("/etc/consul.d/service-registration.json"))
        .contains("\"token\" : \"" + token + "\"");
    String env = after.get("/etc/consul-vm-agent/envoy/counting.env");
    assertThat(env).contains("CONSUL_HTTP_TOKEN_FILE=/etc/consul.d/tokens/counting.token");
    assertThat(env).doesNotContain(token);
  }
}
