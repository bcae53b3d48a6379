package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.consul.AgentApi;
import dev.consulvmagent.consul.AgentWait;
import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.testing.Roots;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sidecar-init without a prior apply (no env file: at boot, or --dry) renders for the Consul agent
 * that actually runs: the REAL Consul 1.8.7 (/usr/bin/consul, a -dev agent on free loopback ports)
 * answers GET /v1/agent/self with Config.Version "1.8.7", and the registration written for it
 * passes the real {@code consul validate} and has none of the 1.10+ keys that the default version
 * (1.16.6) would write. Skips loudly without the binary; fails in CI (CI set).
 */
class SidecarInitRealTest {
  private static final Path CONSUL = Path.of("/usr/bin/consul");
  private static Process consul;
  private static String http;
  private static Path log;
  @TempDir Path tmp;

  /** A service 1.8.7 can run (no transparent proxy), with what newer versions write more of. */
  private static final String CONFIG =
      "{\"annotations\": {"
          + "\"consul.hashicorp.com/connect-service\": \"web\","
          + " \"consul.hashicorp.com/connect-service-port\": \"9090\","
          + " \"consul.hashicorp.com/transparent-proxy\": \"false\","
          + " \"consul.hashicorp.com/connect-service-upstreams\": \"counting:9001\","
          + " \"consul.hashicorp.com/service-tags\": \"v1\","
          + " \"alpha.consul.hashicorp.com/virtual-ip\": \"240.0.0.9\"}}";

  @BeforeAll
  static void startRealConsul() throws Exception {
    String why = null;
    if (!Files.isExecutable(CONSUL)) {
      why = CONSUL + " is missing: install Debian bullseye's consul 1.8.7 (see README)";
    } else {
      Process v =
          new ProcessBuilder(CONSUL.toString(), "version").redirectErrorStream(true).start();
      String out = new String(v.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!v.waitFor(20, TimeUnit.SECONDS) || !out.contains("Consul v1.8.7")) {
        why = CONSUL + " is not Consul v1.8.7: " + out.lines().findFirst().orElse("");
      }
    }
    if (why != null) {
      if (System.getenv("CI") != null) fail("CI is set and the real Consul is unusable: " + why);
      System.err.println("SKIPPED (real Consul tests): " + why);
      assumeTrue(false, why);
    }
    int port = freePort();
    http = "http://127.0.0.1:" + port;
    log = Files.createTempFile("sidecar-init-real-consul", ".log");
    List<String> argv =
        new ArrayList<>(
            List.of(
                CONSUL.toString(),
                "agent",
                "-dev",
                "-bind=127.0.0.1",
                "-node=followup-sidecar-init",
                "-http-port=" + port,
                "-dns-port=" + freePort(),
                "-serf-lan-port=" + freePort(),
                "-serf-wan-port=" + freePort(),
                "-server-port=" + freePort(),
                "-grpc-port=" + freePort()));
    ProcessBuilder pb =
        new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().remove("NOTIFY_SOCKET");
    consul = pb.start();
    new AgentWait(
            new AgentApi(new ConsulHttp(ConsulEndpoint.of(http), Duration.ofSeconds(2))),
            http,
            EventSink.NONE,
            Duration.ofMillis(200))
        .httpApi(Duration.ofSeconds(40));
  }

  @AfterAll
  static void stop() throws Exception {
    if (consul == null) return;
    consul.destroy();
    if (!consul.waitFor(20, TimeUnit.SECONDS)) consul.destroyForcibly().waitFor();
    Files.deleteIfExists(log);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The real `consul validate` over the registration (and an agent's data_dir, bind_addr). */
  private void assertValid(String registration) throws Exception {
    Path d = Files.createDirectories(tmp.resolve("validate"));
    Files.writeString(
        d.resolve("consul.json"),
        "{\"data_dir\": \"" + tmp.resolve("data") + "\", \"bind_addr\": \"127.0.0.1\"}");
    Files.writeString(d.resolve("service-registration.json"), registration);
    Process p =
        new ProcessBuilder(CONSUL.toString(), "validate", d.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("consul validate said:\n%s\nfor:\n%s", out, registration).isZero();
    assertThat(out).contains("Configuration is valid!");
  }

  private static void assertNo110Keys(String registration) {
    // proxy.mode / transparent_proxy: 1.10 (transparent proxy); tagged "virtual": 1.10+ (PR #10162)
    assertThat(registration)
        .contains("\"sidecar_service\"", "\"port\" : 9090")
        .doesNotContain("\"mode\"", "transparent_proxy", "\"virtual\"", "240.0.0.9");
  }

  @Test
  void agentSelf_ofTheRealAgent_hasConfigVersion() {
    var self = new AgentApi(new ConsulHttp(ConsulEndpoint.of(http), Duration.ofSeconds(2))).self();
    assertThat(self.version()).isEqualTo("1.8.7");
  }

  @Test
  void dry_withoutEnvFile_rendersForTheRunningAgent_andTheRealConsulValidatesIt() throws Exception {
    Path f = Files.writeString(tmp.resolve("service-config.json"), CONFIG);
    CliApplyTest.Run r =
        CliApplyTest.run(
            "sidecar-init",
            "-f",
            f.toString(),
            "--root",
            tmp.toString(),
            "--http-addr",
            http,
            "--dry",
            "--type",
            "service-registration");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("rendering for Consul 1.8.7 (the running agent's, GET " + http);
    assertNo110Keys(r.out());
    assertValid(r.out());
  }

  @Test
  void underRoot_withoutPriorApply_writesTheRegistrationForTheRunningAgent() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "sets owners: needs root");
    Path root = Roots.withUsers(Files.createDirectories(tmp.resolve("root")));
    Files.createDirectories(root.resolve("srv/consul"));
    Files.writeString(root.resolve("srv/consul/service-config.json"), CONFIG);
    CliApplyTest.Run r =
        CliApplyTest.run("sidecar-init", "--root", root.toString(), "--http-addr", http);
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.err()).contains("rendering for Consul 1.8.7 (the running agent's");
    String reg = Files.readString(root.resolve("etc/consul.d/service-registration.json"));
    assertNo110Keys(reg);
    assertValid(reg);
    assertThat(Files.readString(root.resolve("etc/consul-vm-agent/envoy/web.env")))
        .contains("MANAGED_CONSUL_VERSION=1.8.7\n");
  }

  /** The default version would render transparent proxy; the agent's 1.8.7 cannot run it. */
  @Test
  void transparentProxy_onTheRunning18Agent_exits3_namingConsulVersion_writesNothing()
      throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Path f =
        Files.writeString(
            tmp.resolve("tproxy.json"),
            CONFIG.replace("transparent-proxy\": \"false\"", "transparent-proxy\": \"true\""));
    CliApplyTest.Run r =
        CliApplyTest.run(
            "sidecar-init", "-f", f.toString(), "--root", root.toString(), "--http-addr", http);
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("consul.version", "Consul 1.8.7");
    try (var s = Files.list(root)) {
      assertThat(s.count()).isZero();
    }
  }
}
