package dev.consulvmagent.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.testing.Ports;
import dev.consulvmagent.testing.RealConsul;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every call AgentApi makes, against a REAL Consul 1.8.7 agent (-dev on loopback), and the states a
 * real agent can be in: down, not joined to any server, server without a leader, ACLs (where the
 * ACL each call's Javadoc names is checked: the 403 carries it).
 */
class AgentApiRealTest {
  @TempDir static Path tmp;
  static RealConsul agent;

  static final String WEB =
      """
      {"service": {"name": "web", "id": "web", "port": 18080,
        "check": {"name": "web listening", "tcp": "127.0.0.1:18080", "interval": "10s"},
        "connect": {"sidecar_service": {"proxy": {}}}}}
      """;

  @BeforeAll
  static void start() {
    agent =
        RealConsul.dev(tmp, dir -> Files.writeString(dir.resolve("web.json"), WEB))
            .awaitLeader()
            .awaitService("web");
  }

  @AfterAll
  static void stop() {
    if (agent != null) agent.close();
  }

  private static ConsulHttp.Raw raw(RealConsul a, String method, String path) {
    return a.http().exchange(method, path, null, ConsulQuery.NONE);
  }

  @Test
  void leader_isTheServerRpcAddress() {
    assertThat(agent.api().leader()).contains("127.0.0.1:" + agent.ports().server());
  }

  @Test
  void self_namesVersionDatacenterAndDns() {
    AgentApi.Self self = agent.api().self();
    assertThat(self.version()).isEqualTo("1.8.7");
    assertThat(self.datacenter()).isEqualTo("dc1");
    assertThat(self.nodeName()).isEqualTo(agent.node());
    // where Doctor finds Consul DNS
    assertThat(self.dnsAddrs()).get().asList().contains("udp://127.0.0.1:" + agent.ports().dns());
  }

  @Test
  void services_listTheServiceAndItsSidecar() {
    Map<String, AgentApi.Service> all = agent.api().services();
    assertThat(all.get("web").port()).isEqualTo(18080);
    assertThat(all.get("web").proxy()).isEmpty();
    AgentApi.Service sidecar = all.get("web-sidecar-proxy");
    assertThat(sidecar.kind()).isEqualTo("connect-proxy");
    assertThat(sidecar.proxy())
        .get()
        .extracting(AgentApi.Proxy::destinationServiceId)
        .isEqualTo("web");
    // 1.8 has no transparent proxy: neither Mode nor TransparentProxy is in the answer
    assertThat(sidecar.proxy().get().mode()).isEmpty();
    assertThat(sidecar.proxy().get().outboundListenerPort()).isZero();
  }

  @Test
  void service_presentAndAbsent() {
    assertThat(agent.api().service("web-sidecar-proxy"))
        .get()
        .extracting(AgentApi.Service::port)
        .isEqualTo(21000);
    assertThat(agent.api().service("nope")).isEmpty();
    // the real 404's text, which the doubles repeat
    ConsulHttp.Raw a = raw(agent, "GET", "/v1/agent/service/nope");
    assertThat(a.code()).isEqualTo(404);
    assertThat(a.body()).isEqualTo("unknown service ID: nope");
  }

  @Test
  void service_anIdWithASlashStaysOneSegment() {
    // never another endpoint: "../self" is refused, "a/b" is one (unknown) service ID
    assertThatThrownBy(() -> agent.api().service(".."))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(agent.api().service("web/../../agent/self")).isEmpty();
  }

  @Test
  void checks_areKeyedByCheckIdAndNameTheirService() {
    Map<String, AgentApi.Check> checks = agent.api().checks();
    assertThat(checks.get("service:web").serviceId()).isEqualTo("web");
    assertThat(checks.get("service:web").name()).isEqualTo("web listening");
    assertThat(checks.get("service:web-sidecar-proxy:1").name())
        .isEqualTo("Connect Sidecar Listening");
    assertThat(checks.get("service:web-sidecar-proxy:2").name())
        .isEqualTo("Connect Sidecar Aliasing web");
  }

  @Test
  void members_isAListWithThisNodeAlive() {
    assertThat(agent.api().members())
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.name()).isEqualTo(agent.node());
              assertThat(m.status()).isEqualTo(1);
              assertThat(m.tags()).containsEntry("dc", "dc1");
            });
  }

  @Test
  void reload_answers200_andGetIsRefused() {
    agent.api().reload();
    ConsulHttp.Raw get = raw(agent, "GET", "/v1/agent/reload");
    assertThat(get.code()).isEqualTo(405);
    assertThat(get.body()).isEqualTo("method GET not allowed");
  }

  @Test
  void agentDown_isUnavailableWithAHint() {
    AgentApi api =
        new AgentApi(
            new ConsulHttp(ConsulEndpoint.of(Ports.nothingListening()), Duration.ofSeconds(1)));
    assertThatThrownBy(api::leader)
        .isInstanceOf(ConsulUnavailableException.class)
        .hasMessageContaining("cannot reach the Consul agent")
        .hasMessageContaining("systemctl status consul");
  }

  @Test
  void clientThatJoinedNoServer_hasNoLeader(@TempDir Path dir) {
    try (RealConsul lonely = RealConsul.clientWithoutServer(dir)) {
      // the real answer: HTTP 500, text/plain "No known Consul servers"
      ConsulHttp.Raw a = raw(lonely, "GET", "/v1/status/leader");
      assertThat(a.code()).isEqualTo(500);
      assertThat(a.body()).isEqualTo("No known Consul servers");
      assertThat(lonely.api().leader()).isEmpty();
      assertThat(lonely.api().services()).isEmpty();
    }
  }

  @Test
  void serverWithoutQuorum_answersAnEmptyLeader(@TempDir Path dir) {
    try (RealConsul waiting = RealConsul.server(dir, 2)) {
      ConsulHttp.Raw a = raw(waiting, "GET", "/v1/status/leader");
      assertThat(a.code()).isEqualTo(200);
      assertThat(a.body()).isEqualTo("\"\"");
      assertThat(waiting.api().leader()).isEmpty();
    }
  }

  @Test
  void aclDeny_eachCallNamesItsAcl_servicesAreFilteredToNothing(@TempDir Path dir) {
    String acl =
        "{\"acl\": {\"enabled\": true, \"default_policy\": \"deny\", \"tokens\": {\"master\":"
            + " \"t0p-s3cret\"}}}";
    try (RealConsul locked =
        RealConsul.dev(
            dir,
            d -> {
              Files.writeString(d.resolve("acl.json"), acl);
              Files.writeString(d.resolve("web.json"), WEB);
            })) {
      locked.awaitLeader();
      AgentApi anonymous = locked.api();
      // status/leader needs no ACL
      assertThat(anonymous.leader()).isPresent();
      assertThat(raw(locked, "GET", "/v1/agent/self").body()).isEqualTo("Permission denied");
      assertThatThrownBy(anonymous::self)
          .isInstanceOfSatisfying(
              ConsulPermissionDeniedException.class,
              e -> assertThat(e.requiredAcl()).isEqualTo("agent:read"))
          .hasMessageContaining("agent:read");
      assertThatThrownBy(anonymous::reload)
          .isInstanceOfSatisfying(
              ConsulPermissionDeniedException.class,
              e -> assertThat(e.requiredAcl()).isEqualTo("agent:write"));
      // no 403 here: without a token the real agent filters the lists (a wait sees "not
      // registered")
      assertThat(raw(locked, "GET", "/v1/agent/services").code()).isEqualTo(200);
      assertThat(anonymous.services()).isEmpty();
      assertThat(anonymous.checks()).isEmpty();
      assertThat(anonymous.members()).isEmpty();
      assertThatThrownBy(
              () ->
                  new SidecarWait(
                          anonymous, m -> {}, Duration.ofMillis(500), Duration.ofMillis(100))
                      .await("web"))
          .hasMessageContaining("registration of web")
          .hasMessageContaining("the token needs service:read");
      ConsulEndpoint e = ConsulEndpoint.of(locked.httpAddr());
      AgentApi withToken =
          new AgentApi(
              new ConsulHttp(
                  new ConsulEndpoint(
                      e.scheme(),
                      e.address(),
                      e.pathPrefix(),
                      Optional.of(new Secret("t0p-s3cret")),
                      e.tls()),
                  Duration.ofSeconds(5)));
      locked.waitUntil(
          "web registered", Duration.ofSeconds(20), () -> withToken.services().containsKey("web"));
      assertThat(withToken.self().version()).isEqualTo("1.8.7");
    }
  }
}
