package dev.consulvmagent.consul;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.app.Doctor;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.sidecar.Registration;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.testing.RealConsul;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every check `status` makes against the Consul agent (agent, cluster: leader and members,
 * registration, health checks), against REAL Consul 1.8.7 agents.
 */
class DoctorRealTest {
  /** Consul runs a check first within one interval of registering it (10s for ours). */
  static final Duration CHECK_RUN = Duration.ofSeconds(30);

  static MeshService mesh(int port) {
    return ServiceConfig.parse(
            ("{\"annotations\": {\"consul.hashicorp.com/connect-service\": \"web\","
                    + " \"consul.hashicorp.com/connect-service-port\": \""
                    + port
                    + "\","
                    + " \"consul.hashicorp.com/transparent-proxy\": \"false\"}}")
                .getBytes(),
            "")
        .mesh();
  }

  static RealConsul.ConfigWriter registration(MeshService m) {
    return d ->
        Files.write(
            d.resolve("service-registration.json"), Json.render(Registration.document(m, "1.8.7")));
  }

  static List<Doctor.Check> doctor(RealConsul c, MeshService m) {
    return new Doctor(c.api()).consulChecks(Optional.of(m));
  }

  static Doctor.Check check(List<Doctor.Check> cs, String name) {
    return cs.stream()
        .filter(c -> c.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in " + cs));
  }

  /** Every check of web and its sidecar has this status. */
  static boolean allChecks(RealConsul c, String status) {
    JsonNode checks = c.json("/v1/agent/checks");
    int n = 0;
    for (Iterator<JsonNode> it = checks.elements(); it.hasNext(); ) {
      JsonNode ch = it.next();
      if (!ch.path("ServiceID").asText().startsWith("web")) continue;
      n++;
      if (!status.equals(ch.path("Status").asText())) return false;
    }
    return n == 3;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void registeredPassingThenFailing_onADevAgent(@TempDir Path tmp) throws IOException {
    ServerSocket app = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    MeshService m = mesh(app.getLocalPort());
    try (RealConsul dev =
        RealConsul.dev(tmp, registration(m)).awaitLeader().awaitService("web-sidecar-proxy")) {
      int sidecarPort = dev.api().service("web-sidecar-proxy").orElseThrow().port();
      ServerSocket envoy = listen(sidecarPort);
      try {
        dev.waitUntil("all checks passing", CHECK_RUN, () -> allChecks(dev, "passing"));
        List<Doctor.Check> cs = doctor(dev, m);
        assertThat(cs)
            .extracting(Doctor.Check::name)
            .containsExactly("consul agent", "cluster", "registration", "health checks");
        assertThat(cs).extracting(Doctor.Check::verdict).containsOnly(Doctor.Verdict.OK);
        assertThat(check(cs, "consul agent").detail()).isEqualTo("Consul 1.8.7, datacenter dc1");
        assertThat(check(cs, "cluster").detail())
            .isEqualTo("leader 127.0.0.1:" + dev.ports().server() + ", 1 member(s)");
        assertThat(check(cs, "registration").detail())
            .isEqualTo("web and web-sidecar-proxy registered");
        assertThat(Doctor.exitCode(cs)).isZero();
      } finally {
        if (envoy != null) envoy.close();
      }
      app.close();
      dev.waitUntil(
          "web's check critical",
          CHECK_RUN,
          () -> "critical".equals(dev.api().checks().get("service:web").status()));
      Doctor.Check health = check(doctor(dev, m), "health checks");
      assertThat(health.verdict()).isEqualTo(Doctor.Verdict.FAIL);
      // the real check output, and the sidecar's alias check that follows web's
      assertThat(health.detail())
          .contains(
              "web listening: dial tcp 127.0.0.1:" + m.port() + ": connect: connection refused");
      assertThat(health.hint()).contains("envoy@web");
    } finally {
      app.close();
    }
  }

  /**
   * Listens on the sidecar's port (or finds something already listening there: the check passes
   * too).
   */
  private static ServerSocket listen(int port) {
    try {
      return new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
    } catch (IOException inUse) {
      return null;
    }
  }

  @Test
  void justRegistered_checksStartCritical(@TempDir Path tmp) throws IOException {
    MeshService m = mesh(freePort());
    try (RealConsul dev = RealConsul.dev(tmp, registration(m)).awaitLeader().awaitService("web")) {
      // before a check's first run the real agent shows it critical with an empty output
      JsonNode web = dev.json("/v1/agent/checks").path("service:web");
      if (web.path("Output").asText().isEmpty()) {
        assertThat(web.path("Status").asText()).isEqualTo("critical");
      }
      assertThat(check(doctor(dev, m), "health checks").verdict()).isEqualTo(Doctor.Verdict.FAIL);
    }
  }

  @Test
  void notRegistered(@TempDir Path tmp) throws IOException {
    MeshService m = mesh(freePort());
    try (RealConsul dev = RealConsul.dev(tmp, d -> {}).awaitLeader()) {
      List<Doctor.Check> cs = doctor(dev, m);
      Doctor.Check reg = check(cs, "registration");
      assertThat(reg.verdict()).isEqualTo(Doctor.Verdict.FAIL);
      assertThat(reg.detail()).isEqualTo("web web-sidecar-proxy not registered");
      assertThat(reg.hint()).contains("consul reload");
      assertThat(Doctor.exitCode(cs)).isEqualTo(1);
    }
  }

  @Test
  void clientJoinedToAServer_countsTwoMembers(@TempDir Path tmp) throws IOException {
    MeshService m = mesh(freePort());
    try (RealConsul server = RealConsul.server(tmp.resolve("s")).awaitLeader();
        RealConsul client =
            RealConsul.client(tmp.resolve("c"), server, registration(m))
                .awaitLeader()
                .awaitService("web")) {
      client.waitUntil(
          "two members",
          Duration.ofSeconds(20),
          () -> client.raw("/v1/agent/members").body().contains(server.node()));
      List<Doctor.Check> cs = doctor(client, m);
      assertThat(check(cs, "consul agent").verdict()).isEqualTo(Doctor.Verdict.OK);
      assertThat(check(cs, "cluster").detail())
          .isEqualTo("leader 127.0.0.1:" + server.ports().server() + ", 2 member(s)");
      assertThat(check(cs, "registration").verdict()).isEqualTo(Doctor.Verdict.OK);
    }
  }

  @Test
  void clientWithoutServer_failsClusterAndStops(@TempDir Path tmp) throws IOException {
    try (RealConsul lonely = RealConsul.clientWithoutServer(tmp)) {
      List<Doctor.Check> cs = doctor(lonely, mesh(freePort()));
      assertThat(cs).extracting(Doctor.Check::name).containsExactly("consul agent", "cluster");
      assertThat(check(cs, "cluster").verdict()).isEqualTo(Doctor.Verdict.FAIL);
      assertThat(check(cs, "cluster").hint()).contains("retry_join");
    }
  }
}
