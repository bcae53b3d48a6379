package dev.consulvmagent.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.testing.RealConsul;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every call ConsulApi makes, against a REAL Consul 1.8.7 agent (-dev on loopback), and the states
 * a real agent can be in: down, not joined to any server, server without a leader, ACLs.
 */
class ConsulApiRealTest {
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

  @Test
  void leader_isTheServerRpcAddress() {
    assertThat(agent.api().leader()).contains("127.0.0.1:" + agent.ports().server());
  }

  @Test
  void self_namesVersionAndDatacenter() {
    JsonNode self = agent.api().self();
    assertThat(self.path("Config").path("Version").asText()).isEqualTo("1.8.7");
    assertThat(self.path("Config").path("Datacenter").asText()).isEqualTo("dc1");
    assertThat(self.path("Config").path("Server").asBoolean()).isTrue();
    // where Doctor finds Consul DNS
    assertThat(self.path("DebugConfig").path("DNSAddrs").toString())
        .contains("udp://127.0.0.1:" + agent.ports().dns());
  }

  @Test
  void services_listTheServiceAndItsSidecar() {
    JsonNode all = agent.api().services();
    assertThat(all.path("web").path("Port").asInt()).isEqualTo(18080);
    JsonNode sidecar = all.path("web-sidecar-proxy");
    assertThat(sidecar.path("Kind").asText()).isEqualTo("connect-proxy");
    assertThat(sidecar.path("Proxy").path("DestinationServiceID").asText()).isEqualTo("web");
    // 1.8 has no transparent proxy: neither Mode nor TransparentProxy is in the answer
    assertThat(sidecar.path("Proxy").has("Mode")).isFalse();
    assertThat(sidecar.path("Proxy").has("TransparentProxy")).isFalse();
  }

  @Test
  void service_presentAndAbsent() {
    assertThat(agent.api().service("web-sidecar-proxy"))
        .get()
        .extracting(n -> n.path("Proxy").path("LocalServicePort").asInt())
        .isEqualTo(18080);
    assertThat(agent.api().service("nope")).isEmpty();
    // the real 404's text, which the doubles repeat
    assertThat(agent.api().get("/v1/agent/service/nope"))
        .isEqualTo(new ConsulApi.Answer(404, "unknown service ID: nope"));
  }

  @Test
  void checks_areKeyedByCheckIdAndNameTheirService() {
    JsonNode checks = agent.api().checks();
    assertThat(checks.path("service:web").path("ServiceID").asText()).isEqualTo("web");
    assertThat(checks.path("service:web").path("Name").asText()).isEqualTo("web listening");
    assertThat(checks.path("service:web-sidecar-proxy:1").path("Name").asText())
        .isEqualTo("Connect Sidecar Listening");
    assertThat(checks.path("service:web-sidecar-proxy:2").path("Name").asText())
        .isEqualTo("Connect Sidecar Aliasing web");
  }

  @Test
  void members_isAListWithThisNode() throws Exception {
    ConsulApi.Answer a = agent.api().get("/v1/agent/members");
    assertThat(a.code()).isEqualTo(200);
    JsonNode m = dev.consulvmagent.render.Json.mapper().readTree(a.body());
    assertThat(m.isArray()).isTrue();
    assertThat(m.get(0).path("Name").asText()).isEqualTo(agent.node());
    assertThat(m.get(0).path("Status").asInt()).isEqualTo(1);
  }

  @Test
  void reload_answers200WithAnEmptyBody_andGetIsRefused() {
    assertThat(agent.api().put("/v1/agent/reload")).isEqualTo(new ConsulApi.Answer(200, ""));
    assertThat(agent.api().get("/v1/agent/reload"))
        .isEqualTo(new ConsulApi.Answer(405, "method GET not allowed"));
  }

  @Test
  void agentDown_isUnreachableWithAHint() {
    ConsulApi api =
        new ConsulApi(
            dev.consulvmagent.testing.Ports.nothingListening(),
            Optional.empty(),
            Duration.ofSeconds(1));
    assertThatThrownBy(api::leader)
        .isInstanceOf(ConsulApi.ConsulUnreachableException.class)
        .hasMessageContaining("cannot reach the Consul agent")
        .hasMessageContaining("systemctl status consul");
  }

  @Test
  void clientThatJoinedNoServer_hasNoLeader(@TempDir Path dir) {
    try (RealConsul lonely = RealConsul.clientWithoutServer(dir)) {
      // the real answer: HTTP 500, text/plain "No known Consul servers"
      assertThat(lonely.api().get("/v1/status/leader"))
          .isEqualTo(new ConsulApi.Answer(500, "No known Consul servers"));
      assertThat(lonely.api().leader()).isEmpty();
      assertThat(lonely.api().services().size()).isZero();
    }
  }

  @Test
  void serverWithoutQuorum_answersAnEmptyLeader(@TempDir Path dir) {
    try (RealConsul waiting = RealConsul.server(dir, 2)) {
      assertThat(waiting.api().get("/v1/status/leader"))
          .isEqualTo(new ConsulApi.Answer(200, "\"\""));
      assertThat(waiting.api().leader()).isEmpty();
    }
  }

  @Test
  void aclDeny_selfIs403_servicesAreFilteredToNothing(@TempDir Path dir) {
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
      assertThat(locked.api().get("/v1/agent/self"))
          .isEqualTo(new ConsulApi.Answer(403, "Permission denied"));
      assertThatThrownBy(() -> locked.api().self()).hasMessageContaining("permission denied (403)");
      // no 403 here: without a token the real agent filters the list (a wait sees "not registered")
      assertThat(locked.api().get("/v1/agent/services"))
          .extracting(ConsulApi.Answer::code)
          .isEqualTo(200);
      assertThat(locked.api().services().size()).isZero();
      assertThatThrownBy(
              () ->
                  new SidecarWait(
                          locked.api(), m -> {}, Duration.ofMillis(500), Duration.ofMillis(100))
                      .await("web"))
          .hasMessageContaining("registration of web")
          .hasMessageContaining("the token needs service:read");
      ConsulApi withToken =
          new ConsulApi(locked.httpAddr(), Optional.of("t0p-s3cret"), Duration.ofSeconds(5));
      locked.waitUntil(
          "web registered", Duration.ofSeconds(20), () -> withToken.services().has("web"));
    }
  }
}
