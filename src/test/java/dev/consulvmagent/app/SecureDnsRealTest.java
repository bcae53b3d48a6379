package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.ConsulDns;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.ConsulQuery;
import dev.consulvmagent.consul.IntentionApi;
import dev.consulvmagent.consul.PostureApi;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Outcome;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.FileStat;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.ConsulConfig;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.secure.ClientMesh;
import dev.consulvmagent.secure.SecurityPosture;
import dev.consulvmagent.secure.ServerBootstrap;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.DnsSpec;
import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.testing.RealConsul;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, Consul DNS on secure clients, on REAL Consul 1.8.7 with the mesh as {@code mesh init}
 * and {@code mesh user-data} make it (RenderedMesh): under default deny a client agent answers no
 * *.consul name until apply's cluster step has logged in for its DNS token and the host pass has
 * put it into the secrets file as acl.tokens.default (reloaded by SIGHUP, as systemd's reload of
 * consul does). Then the other service's name answers, while a token-less caller still cannot write
 * anything.
 */
// root group: the service token file is chowned to group envoy (CAP_CHOWN); as any other
// user the chown cannot happen and the token resource never converges
@Tag("root")
class SecureDnsRealTest {
  @TempDir Path tmp;
  RenderedMesh mesh;

  static String dnsKey() {
    return "consul:" + ClientMesh.dnsTokenKey();
  }

  static Outcome.Status dnsOutcome(RunResult r) {
    return r.outcomes().stream()
        .filter(o -> o.key().equals(dnsKey()))
        .map(Outcome::status)
        .findFirst()
        .orElseThrow();
  }

  /** What the host pass renders (module.ConsulModule), written where the agent reads it, + HUP. */
  static void renderSecretsAndReload(AgentSpec spec, Host host, RealConsul agent) throws Exception {
    var secrets =
        ConsulConfig.secrets(spec.consul(), spec.security(), ClientMesh.storedDnsToken(host));
    Files.write(agent.configDir().resolve("secrets.json"), Json.render(secrets));
    Process p =
        new ProcessBuilder(List.of("kill", "-HUP", Long.toString(agent.pid())))
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
  }

  static ConsulDns.Lookup dns(RealConsul agent) {
    return ConsulDns.at(
        new InetSocketAddress("127.0.0.1", agent.ports().dns()), Duration.ofSeconds(2));
  }

  static boolean resolves(RealConsul agent, String name) {
    try {
      dns(agent).resolve(name);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static int code(ConsulHttp http, String method, String path, String body) {
    return http.exchange(
            method,
            path,
            body == null ? null : body.getBytes(StandardCharsets.UTF_8),
            ConsulQuery.NONE)
        .code();
  }

  static Secret read(Host host, String path) {
    return new Secret(new String(host.fs().read(path), StandardCharsets.UTF_8).strip());
  }

  @Test
  void secureClient_resolvesTheOtherService_withAReadOnlyDefaultToken() throws Exception {
    mesh = RenderedMesh.init(tmp);
    AgentSpec srv = mesh.server(List.of("counting", "dashboard"), List.of());
    AgentSpec counting =
        mesh.client("counting", SecureApplyRealTest.client("counting", "counting", 9003, ""));
    AgentSpec dashboard =
        mesh.client("dashboard", SecureApplyRealTest.client("dashboard", "dashboard", 9002, ""));

    try (RealConsul server = mesh.startServer(srv);
        RealConsul c1 = mesh.startClient("counting", counting, server);
        RealConsul c2 = mesh.startClient("dashboard", dashboard, server)) {
      AclApi admin = RenderedMesh.awaitAcls(srv, server);
      Secret mgmt = srv.security().managementToken().get();
      mesh.applied("srv-root", srv, server);
      assertThat(admin.policyByName(ServerBootstrap.DNS_POLICY).orElseThrow().rules())
          .doesNotContain("write")
          .contains("node_prefix \"\"", "service_prefix \"\"");

      Host dashboardRoot = mesh.applied("dashboard-root", dashboard, c2);
      c1.awaitLeader();
      Host countingRoot = mesh.root("counting-root");
      Instant t0 = Instant.now();
      RunResult c = mesh.clusterStep(counting, countingRoot, c1);
      assertThat(c.failed()).as(c.error()).isFalse();
      System.err.println(
          "secure client cluster step (service login, intentions, DNS login): "
              + Duration.between(t0, Instant.now()).toMillis()
              + " ms");
      // the one intro JWT made both tokens (it is not used up by the first login)
      assertThat(dnsOutcome(c)).isEqualTo(Outcome.Status.CHANGED);
      assertThat(SecureMesh.madeServiceToken(c)).isTrue(); // the host pass runs again
      String dnsFile = "/var/lib/consul-vm-agent/dns-default.token";
      FileStat st = countingRoot.fs().stat(dnsFile).orElseThrow();
      assertThat(st.mode() & 07777).isEqualTo(0600);
      assertThat(st.uid()).isEqualTo(countingRoot.users().uid("root").orElseThrow());
      Secret dnsToken = read(countingRoot, dnsFile);
      Secret dashDns = read(dashboardRoot, dnsFile);
      Secret countingSvc = read(countingRoot, "/etc/consul.d/tokens/counting.token");
      Secret dashboardSvc = read(dashboardRoot, "/etc/consul.d/tokens/dashboard.token");
      mesh.secrets.addAll(
          List.of(dnsToken.value(), dashDns.value(), countingSvc.value(), dashboardSvc.value()));
      AclApi.Token t = admin.tokenSelf(dnsToken).orElseThrow();
      assertThat(t.roles()).containsExactly(ServerBootstrap.DNS_ROLE);
      assertThat(t.policies()).isEmpty();
      assertThat(t.serviceIdentities()).isEmpty();
      assertThat(t.nodeIdentities()).isEmpty();
      assertThat(t.authMethod()).isEqualTo(ServerBootstrap.DNS_AUTH_METHOD);
      assertThat(ClientMesh.storedDnsToken(countingRoot)).contains(dnsToken);

      // dashboard registers itself (and its sidecar) with its own service token
      ConsulHttp dashSvc = SecureMesh.local(c2.httpAddr(), Optional.of(dashboardSvc));
      assertThat(
              code(
                  dashSvc,
                  "PUT",
                  "/v1/agent/service/register",
                  "{\"Name\":\"dashboard\",\"ID\":\"dashboard\",\"Port\":9002}"))
          .isEqualTo(200);
      // its proxy without the sidecar's default checks (no Envoy runs here: they would be
      // critical, and DNS leaves critical instances out whatever the token)
      assertThat(
              code(
                  dashSvc,
                  "PUT",
                  "/v1/agent/service/register",
                  "{\"Kind\":\"connect-proxy\",\"Name\":\"dashboard-sidecar-proxy\","
                      + "\"ID\":\"dashboard-sidecar-proxy\",\"Port\":21000,"
                      + "\"Proxy\":{\"DestinationServiceName\":\"dashboard\"}}"))
          .isEqualTo(200);
      ConsulHttp onServer = SecureMesh.local(server.httpAddr(), Optional.of(mgmt));
      server.waitUntil(
          "dashboard in the catalog",
          Duration.ofSeconds(30),
          () ->
              onServer
                  .exchange("GET", "/v1/catalog/services", null, ConsulQuery.NONE)
                  .body()
                  .contains("dashboard-sidecar-proxy"));

      // the gap as it was: no default token, no answer (and status's dns check fails)
      assertThat(resolves(c1, "dashboard.service.consul")).isFalse();
      assertThat(dnsCheck(c1).verdict()).isEqualTo(Doctor.Verdict.FAIL);

      // the host pass renders the token into the secrets file; a reload applies it
      renderSecretsAndReload(counting, countingRoot, c1);
      c1.waitUntil(
          "dashboard.service.consul answered by the client's DNS",
          Duration.ofSeconds(30),
          () -> resolves(c1, "dashboard.service.consul"));
      assertThat(dns(c1).resolve("dashboard.service.consul")).isEqualTo("127.0.0.1");
      assertThat(dns(c1).resolve("dashboard.connect.consul")).isEqualTo("127.0.0.1");
      assertThat(dns(c1).resolve("dashboard.node.consul")).isEqualTo("127.0.0.1");
      // a prepared query (made by the operator) answers too, without any query rule: executing
      // one is checked against node and service read only (acl-rules.mdx, "Prepared Query Rules")
      assertThat(
              code(
                  onServer,
                  "POST",
                  "/v1/query",
                  "{\"Name\":\"dash\",\"Service\":{\"Service\":\"dashboard\"}}"))
          .isEqualTo(200);
      assertThat(dns(c1).resolve("dash.query.consul")).isEqualTo("127.0.0.1");
      assertThat(dnsCheck(c1).verdict()).as(dnsCheck(c1).toString()).isEqualTo(Doctor.Verdict.OK);
      // the agent token (auto_config's) still works after the reload: node info syncs
      assertThat(c1.log()).doesNotContain("Node info update blocked by ACLs");

      // what a token-less local caller now gets: read-only, no write of any kind
      ConsulHttp anon = SecureMesh.local(c1.httpAddr(), Optional.empty());
      assertThat(code(anon, "PUT", "/v1/kv/x", "y")).isEqualTo(403);
      assertThat(code(anon, "GET", "/v1/kv/x", null)).isEqualTo(403);
      assertThat(
              code(
                  anon,
                  "PUT",
                  "/v1/agent/service/register",
                  "{\"Name\":\"counting\",\"ID\":\"counting\",\"Port\":9003}"))
          .isEqualTo(403);
      assertThat(
              code(
                  anon,
                  "POST",
                  "/v1/connect/intentions",
                  "{\"SourceName\":\"*\",\"DestinationName\":\"dashboard\",\"Action\":\"allow\"}"))
          .isEqualTo(403);
      assertThat(code(anon, "GET", "/v1/agent/connect/ca/leaf/dashboard", null)).isEqualTo(403);
      assertThat(code(anon, "GET", "/v1/acl/tokens", null)).isEqualTo(403);
      assertThat(anon.exchange("GET", "/v1/catalog/services", null, ConsulQuery.NONE).body())
          .contains("dashboard");
      // why a config file and not PUT /v1/agent/token/default: that needs acl:write
      ConsulHttp svc = SecureMesh.local(c1.httpAddr(), Optional.of(countingSvc));
      assertThat(code(svc, "PUT", "/v1/agent/token/default", "{\"Token\":\"x\"}")).isEqualTo(403);

      // least privilege: node read is needed too (a service lookup, as DNS makes it through
      // Health.ServiceNodes, is empty for a token that can read services but no nodes)
      admin.writePolicy(
          new AclApi.Policy(
              Optional.empty(),
              "test-services-only",
              "test",
              "service_prefix \"\" {\n  policy = \"read\"\n}\n"));
      Secret servicesOnly =
          admin
              .createToken(
                  new AclApi.NewToken(
                      Optional.empty(),
                      "test",
                      List.of("test-services-only"),
                      List.of(),
                      List.of()))
              .secret()
              .orElseThrow();
      mesh.secrets.add(servicesOnly.value());
      ConsulHttp narrow = SecureMesh.local(server.httpAddr(), Optional.of(servicesOnly));
      assertThat(
              narrow.exchange("GET", "/v1/health/service/dashboard", null, ConsulQuery.NONE).body())
          .isEqualTo("[]");
      assertThat(
              SecureMesh.local(server.httpAddr(), Optional.of(dnsToken))
                  .exchange("GET", "/v1/health/service/dashboard", null, ConsulQuery.NONE)
                  .body())
          .contains("\"Service\":\"dashboard\"");

      // a re-run changes nothing and keeps the token
      RunResult again = mesh.clusterStep(counting, countingRoot, c1);
      assertThat(again.failed()).as(again.error()).isFalse();
      assertThat(dnsOutcome(again)).isEqualTo(Outcome.Status.UNCHANGED);
      assertThat(read(countingRoot, dnsFile)).isEqualTo(dnsToken);

      // deleted on the servers: status says so, the next apply logs in again
      admin.deleteToken(t.accessorId());
      assertThat(postureDns(countingRoot, c1).level()).isEqualTo(SecurityPosture.Level.FAIL);
      assertThat(postureDns(countingRoot, c1).detail()).contains("deleted?");
      RunResult healed = mesh.clusterStep(counting, countingRoot, c1);
      assertThat(healed.failed()).as(healed.error()).isFalse();
      assertThat(dnsOutcome(healed)).isEqualTo(Outcome.Status.CHANGED);
      Secret fresh = read(countingRoot, dnsFile);
      mesh.secrets.add(fresh.value());
      assertThat(fresh).isNotEqualTo(dnsToken);
      assertThat(postureDns(countingRoot, c1).level()).isEqualTo(SecurityPosture.Level.OK);

      // deleted again and no JWT left (expired, or dropped from the config): a clear message
      admin.deleteToken(admin.tokenSelf(fresh).orElseThrow().accessorId());
      Resource noJwt =
          ClientMesh.dnsToken(
              "counting",
              Optional.empty(),
              new AclApi(SecureMesh.local(c1.httpAddr(), Optional.empty())));
      Engine e = new Engine(EventSink.NONE);
      RunResult stuck =
          e.apply(
              e.plan(List.of(noJwt), countingRoot), countingRoot, n -> List.of(), Instant.now());
      mesh.reported.add(String.valueOf(stuck.error()));
      assertThat(stuck.failed()).isTrue();
      assertThat(stuck.error())
          .contains("DNS")
          .contains("mesh user-data")
          .contains("security.intro_token");
      mesh.assertNoSecretReported();
    }
  }

  Doctor.Check dnsCheck(RealConsul agent) {
    Doctor.Check check =
        Doctor.dnsCheck(
            Optional.of(new InetSocketAddress("127.0.0.1", agent.ports().dns())),
            dns(agent), // a resolver that forwards *.consul to it, as the machine's does
            DnsSpec.Mode.IPTABLES,
            false,
            List.of("127.0.0.1"),
            "counting");
    mesh.reported.add(check.toString());
    return check;
  }

  SecurityPosture.Item postureDns(Host host, RealConsul agent) {
    List<SecurityPosture.Item> items =
        SecurityPosture.check(
            new SecurityPosture.Inputs(
                false,
                "counting",
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                List.of(),
                "/var/lib/consul/auto-config.json",
                "/etc/consul.d/consul.json"),
            host,
            new AclApi(SecureMesh.local(agent.httpAddr(), Optional.empty())),
            new PostureApi(SecureMesh.local(agent.httpAddr(), Optional.empty())),
            t -> new IntentionApi(SecureMesh.local(agent.httpAddr(), Optional.of(t))));
    mesh.reported.add(items.toString());
    return items.stream().filter(i -> i.name().equals("DNS token")).findFirst().orElseThrow();
  }
}
