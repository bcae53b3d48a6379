package dev.consulvmagent.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.consul.AgentApi;
import dev.consulvmagent.consul.AgentWait;
import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecLoader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * consul.service as Consul really behaves: not Type=notify (a lone server never sends READY,
 * hashicorp/consul PR #3164), verified by systemd-analyze, and the real Consul 1.8.7 started the
 * way the unit starts it becomes leader while our wait (HTTP API, then leader) returns.
 */
class ConsulUnitRealTest {
  @TempDir Path tmp;

  @Test
  void envoyUnitWithIgnoreCompatibility_andDnsRedirectUnit_passSystemdAnalyzeVerify()
      throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze not installed");
    Path f = tmp.resolve("envoy@web.service");
    Files.writeString(f, Units.envoyTemplate(true));
    Path dns = tmp.resolve("consul-dns-redirect.service");
    Files.writeString(dns, Units.dnsRedirect());
    // envoy@ Requires=consul.service: ours, found first on the search path, not whatever this
    // machine has (Debian's consul package ships one; a machine without it failed here with
    // "Unit consul.service not found"). systemd(1), $SYSTEMD_UNIT_PATH: a trailing ":" appends
    // the default path, where systemd's own targets (sysinit.target, …) are.
    Files.writeString(tmp.resolve("consul.service"), Units.consul());
    ProcessBuilder pb =
        new ProcessBuilder("systemd-analyze", "verify", "--man=no", f.toString(), dns.toString())
            .redirectErrorStream(true);
    pb.environment().put("SYSTEMD_UNIT_PATH", tmp + ":");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(out.lines().filter(l -> !l.isBlank() && !l.contains("is not executable"))).isEmpty();
  }

  @Test
  void consulUnit_isTypeExec_neverNotify_andPassesSystemdAnalyzeVerify() throws Exception {
    String unit = Units.consul();
    assertThat(unit).contains("\nType=exec\n").doesNotContain("Type=notify");
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze not installed");
    Path f = tmp.resolve("consul.service");
    Files.writeString(f, unit);
    Process p =
        new ProcessBuilder("systemd-analyze", "verify", "--man=no", f.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    List<String> problems = new ArrayList<>();
    for (String line : out.split("\n")) {
      // the binary is installed by apply, not on the build machine
      if (line.isBlank() || line.contains("Command /usr/bin/consul is not executable")) continue;
      problems.add(line);
    }
    assertThat(problems).isEmpty();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The unit's ExecStart= as an argument list (no shell: systemd splits on spaces here). */
  static List<String> execStart(String unit) {
    String line = unit.lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
    return new ArrayList<>(Arrays.asList(line.substring("ExecStart=".length()).split(" ")));
  }

  /** The real Consul started with the unit's ExecStart=, on free loopback ports (HTTP on http). */
  private Process startAsTheUnitDoes(String yaml, Path dir, int http, List<String> output)
      throws Exception {
    AgentSpec spec = new SpecLoader().parse(yaml.getBytes(StandardCharsets.UTF_8));
    Path consulD = ConsulValidateRealTest.renderConsulD(spec, dir);
    List<String> argv = execStart(Units.consul());
    assertThat(argv).containsExactly("/usr/bin/consul", "agent", "-config-dir=/etc/consul.d/");
    argv.set(2, "-config-dir=" + consulD);
    // the rendered file's data_dir and fixed ports are the machine's: flags override them here
    argv.addAll(
        List.of(
            "-data-dir=" + Files.createDirectories(dir.resolve("data")),
            "-http-port=" + http,
            "-dns-port=" + freePort(),
            "-serf-lan-port=" + freePort(),
            "-serf-wan-port=" + freePort(),
            "-server-port=" + freePort(),
            "-grpc-port=" + freePort()));
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    pb.environment().remove("NOTIFY_SOCKET"); // Type=exec: nobody listens for READY
    Process consul = pb.start();
    Thread drain =
        new Thread(
            () ->
                new BufferedReader(
                        new InputStreamReader(consul.getInputStream(), StandardCharsets.UTF_8))
                    .lines()
                    .forEach(output::add));
    drain.setDaemon(true);
    drain.start();
    return consul;
  }

  private static void stop(Process consul) throws InterruptedException {
    consul.destroy();
    if (!consul.waitFor(20, TimeUnit.SECONDS)) consul.destroyForcibly().waitFor();
  }

  private static AgentWait waitFor(int http) {
    String url = "http://127.0.0.1:" + http;
    return new AgentWait(
        new AgentApi(new ConsulHttp(ConsulEndpoint.of(url), Duration.ofSeconds(2))),
        url,
        EventSink.NONE,
        Duration.ofMillis(200));
  }

  @Test
  void loneServer_startedAsTheUnitStartsIt_becomesLeader_whileOurWaitReturns() throws Exception {
    ConsulValidateRealTest.requireRealConsul();
    String yaml =
        "consul:\n  version: \"1.8.7\"\n  role: server\n  node_name: lone\n  bind_addr: 127.0.0.1\n"
            + "  bootstrap_expect: 1\nenvoy:\n  version: \"1.14.5\"\n";
    int http = freePort();
    List<String> output = new CopyOnWriteArrayList<>();
    Process consul = startAsTheUnitDoes(yaml, tmp, http, output);
    try {
      AgentWait wait = waitFor(http);
      long t0 = System.nanoTime();
      wait.httpApi(Duration.ofSeconds(30));
      String leader = wait.leader(Duration.ofSeconds(60));
      assertThat(leader).as(String.join("\n", output)).startsWith("127.0.0.1:");
      assertThat(consul.isAlive()).isTrue();
      System.err.println(
          "real consul 1.8.7 lone server: leader "
              + leader
              + " after "
              + Duration.ofNanos(System.nanoTime() - t0).toMillis()
              + " ms");
    } finally {
      stop(consul);
    }
  }

  @Test
  void clientWhoseServersAreNotUp_startedAsTheUnitStartsIt_answersItsApi_withoutALeader()
      throws Exception {
    ConsulValidateRealTest.requireRealConsul();
    String yaml =
        "consul:\n"
            + "  version: \"1.8.7\"\n"
            + "  role: client\n"
            + "  node_name: early\n"
            + "  bind_addr: 127.0.0.1\n"
            + "  retry_join: [\"192.0.2.1\"]\n"
            + "envoy:\n"
            + "  version: \"1.14.5\"\n";
    int http = freePort();
    List<String> output = new CopyOnWriteArrayList<>();
    Process consul = startAsTheUnitDoes(yaml, tmp, http, output); // TEST-NET-1: no server there
    try {
      AgentWait wait = waitFor(http);
      wait.httpApi(Duration.ofSeconds(30)); // what apply waits for: returns, no join needed
      assertThat(
              new AgentApi(
                      new ConsulHttp(
                          ConsulEndpoint.of("http://127.0.0.1:" + http), Duration.ofSeconds(2)))
                  .leader())
          .as(String.join("\n", output))
          .isEmpty();
      assertThatThrownBy(() -> wait.leader(Duration.ofSeconds(1)))
          .hasMessageContaining("a Consul leader");
      assertThat(consul.isAlive()).isTrue();
    } finally {
      stop(consul);
    }
  }
}
