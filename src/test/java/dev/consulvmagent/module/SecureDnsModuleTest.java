package dev.consulvmagent.module;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.render.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: a secure client's DNS token (written by the cluster step's login) becomes the agent's
 * acl.tokens.default in its secrets file, which is reloaded, never printed; before the login a
 * secure client has no secrets file at all (auto_config brings the rest).
 */
class SecureDnsModuleTest {
  @TempDir Path root;

  @Test
  void theDnsToken_becomesTheAgentsDefaultToken_inTheSecretsFile() throws Exception {
    String yaml = SecureServiceModuleTest.client("");
    Map<String, String> before = VersionAwareModulesTest.files(yaml, root);
    assertThat(before).doesNotContainKey(ConsulModule.SECRETS);

    String token = "0b7c1d9e-3a2f-4c55-8e61-2d4b9f0a7c13";
    Files.createDirectories(root.resolve("var/lib/consul-vm-agent"));
    Files.writeString(root.resolve("var/lib/consul-vm-agent/dns-default.token"), token + "\n");
    Map<String, String> after = VersionAwareModulesTest.files(yaml, root);
    JsonNode secrets = Json.mapper().readTree(after.get(ConsulModule.SECRETS));
    assertThat(secrets.path("acl").path("tokens").path("default").asText()).isEqualTo(token);
    // only the default token: the agent token stays auto_config's, and no gossip key
    assertThat(secrets.path("acl").path("tokens").size()).isEqualTo(1);
    assertThat(secrets.has("encrypt")).isFalse();
  }
}
