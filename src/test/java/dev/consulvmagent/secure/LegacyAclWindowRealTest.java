package dev.consulvmagent.secure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.consul.AgentApi;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.ConsulQuery;
import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.testing.RealConsul;
import dev.consulvmagent.testing.SecureCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The legacy ACL window of a fresh 1.8.7 agent, against the REAL agent: until its ACL system leaves
 * legacy mode it refuses every token it resolves itself with 403 "ACL not found" — what CI's
 * e2e-cloud met as a failed `consul reload` on a client right after it joined (a client lags its
 * servers there: AgentApi#resolvesTokens). A fresh lone server shows the same window for several
 * seconds (its leader upgrades ACLs after the election), deterministically: seen here,
 * AgentApi#resolvesTokens says no, and afterwards yes.
 */
class LegacyAclWindowRealTest {
  @TempDir Path tmp;

  static final String ANONYMOUS = "00000000-0000-0000-0000-000000000002";

  @Test
  void aFreshAgent_refusesTokensUntilItsAclsLeaveLegacyMode_andResolvesTokensSaysSo() {
    SecureCluster mesh = SecureCluster.create(tmp.resolve("mesh"));
    Secret agent = new Secret(UUID.randomUUID().toString());
    try (RealConsul server = mesh.startServer(tmp.resolve("srv"), "server-a", agent)) {
      ConsulHttp anon = SecureCluster.http(server, null);
      ConsulHttp admin = SecureCluster.http(server, mesh.management);
      AgentApi api = new AgentApi(anon);
      // in the window (the ACL system says so itself): no token resolves, and the probe says no
      ConsulHttp.Raw mode = admin.exchange("GET", "/v1/acl/token/" + ANONYMOUS, null, q());
      assertThat(mode.code()).as(mode.body()).isEqualTo(500);
      assertThat(mode.body()).contains("legacy mode");
      assertThat(api.resolvesTokens()).isFalse();
      assertThat(reload(anon).body()).contains("ACL not found");

      server.waitUntil("ACLs to leave legacy mode", Duration.ofSeconds(60), api::resolvesTokens);
      ConsulHttp.Raw after = reload(anon);
      assertThat(after.code()).isEqualTo(403);
      assertThat(after.body()).contains("Permission denied");
      assertThat(admin.exchange("GET", "/v1/acl/token/" + ANONYMOUS, null, q()).code())
          .isEqualTo(200);
    }
  }

  static ConsulQuery q() {
    return ConsulQuery.NONE;
  }

  static ConsulHttp.Raw reload(ConsulHttp h) {
    return h.exchange("PUT", "/v1/agent/reload", new byte[0], ConsulQuery.NONE);
  }
}
