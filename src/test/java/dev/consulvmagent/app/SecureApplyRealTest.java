package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.IntentionApi;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.testing.RealConsul;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract end to end on REAL Consul 1.8.7, on a mesh as the operator makes it (RenderedMesh):
 * apply's cluster step on each machine, the server's bootstrap, then the clients' logins with the
 * JWTs mesh user-data minted, and their intentions. Every secret of the mesh is grepped for in what
 * the runs reported.
 */
// root group: the service token file is chowned to group envoy (CAP_CHOWN); as any other
// user the chown cannot happen and the token resource never converges
@Tag("root")
class SecureApplyRealTest {
  @TempDir Path tmp;

  static String client(String node, String service, int port, String allowFrom) {
    return RenderedMesh.clientYaml(
        node,
        "service:\n  name: "
            + service
            + "\n  port: "
            + port
            + "\n  transparent_proxy: false\n"
            + "  intentions:\n    allow_from: ["
            + allowFrom
            + "]\n");
  }

  @Test
  void renderedMesh_bootstrapsLogsInAndAllowsOnlyDeclaredCalls() throws Exception {
    RenderedMesh mesh = RenderedMesh.init(tmp);
    // mesh user-data --mesh-service: the services that may keep their own intentions
    AgentSpec srv = mesh.server(List.of("counting", "dashboard"), List.of());
    AgentSpec counting = mesh.client("counting", client("counting", "counting", 9003, "dashboard"));
    AgentSpec dashboard = mesh.client("dashboard", client("dashboard", "dashboard", 9002, ""));

    try (RealConsul server = mesh.startServer(srv);
        RealConsul c1 = mesh.startClient("counting", counting, server);
        RealConsul c2 = mesh.startClient("dashboard", dashboard, server)) {
      AclApi admin = RenderedMesh.awaitAcls(srv, server);
      Host serverRoot = mesh.applied("srv-root", srv, server);
      assertThat(mesh.clusterStep(srv, serverRoot, server).changed()).isZero();

      Host dashboardRoot = mesh.applied("dashboard-root", dashboard, c2);
      c1.awaitLeader();
      Host countingRoot = mesh.root("counting-root");
      RunResult c = mesh.clusterStep(counting, countingRoot, c1);
      for (Host h : List.of(countingRoot, dashboardRoot))
        for (String svc : List.of("counting", "dashboard"))
          h.fs()
              .readIfExists("/etc/consul.d/tokens/" + svc + ".token")
              .ifPresent(b -> mesh.secrets.add(new String(b, StandardCharsets.UTF_8).strip()));
      assertThat(SecureMesh.intentionServices(srv.security())).contains("counting", "dashboard");
      assertThat(c.failed()).as(c.error()).isFalse();
      Secret mgmt = srv.security().managementToken().get();
      IntentionApi intentions =
          new IntentionApi(SecureMesh.local(server.httpAddr(), Optional.of(mgmt)));
      String td = intentions.trustDomain();
      assertThat(intentions.authorize("counting", "dashboard", td).authorized()).isTrue();
      assertThat(intentions.authorize("dashboard", "counting", td).authorized()).isFalse();
      assertThat(mesh.clusterStep(counting, countingRoot, c1).changed()).isZero();
      Secret token =
          new Secret(
              new String(
                      countingRoot.fs().read("/etc/consul.d/tokens/counting.token"),
                      StandardCharsets.UTF_8)
                  .strip());
      assertThat(admin.tokenSelf(token).orElseThrow().serviceIdentities())
          .containsExactly("counting");
      mesh.assertNoSecretReported();
    }
  }
}
