package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.KvApi;
import dev.consulvmagent.consul.TxnApi;
import dev.consulvmagent.fleet.FleetKeys;
import dev.consulvmagent.fleet.FleetOperator;
import dev.consulvmagent.fleet.NodeReport;
import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.RealConsul;
import dev.consulvmagent.testing.Roots;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a real {@code consul-vm-agent watch} process while it holds the group's slot and waits
 * for health, against a REAL Consul 1.8.7: its slot comes free with its session (TTL), and the
 * restarted watcher does not report healthy unverified: it takes the slot again, waits for health
 * and ends healthy at the revision.
 */
class CliWatchKillRealTest {
  @TempDir Path tmp;

  static String run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    assertThat(code).as(String.join(" ", args) + "\n" + err).isZero();
    return out.toString();
  }

  /**
   * The group's status for polling, through one transport for the whole test: each fleet status
   * command builds its own connection pool, and polling it every 100 ms in one JVM would pass
   * 1.8.7's 200 connections per client (limits.http_max_conns_per_client) and be reset.
   */
  static FleetOperator.Status poll(FleetOperator op) {
    try {
      return op.status();
    } catch (RuntimeException e) {
      return null;
    }
  }

  static boolean holding(FleetOperator op) {
    var s = poll(op);
    return s != null
        && s.slotsHeld() == 1
        && s.nodes().stream().anyMatch(r -> r.state() == NodeReport.State.APPLYING);
  }

  static boolean healthyAt1(FleetOperator op) {
    var s = poll(op);
    return s != null
        && s.nodes().stream()
            .anyMatch(r -> r.revision() == 1 && r.state() == NodeReport.State.HEALTHY);
  }

  Process watch(Path cfg, Path root, String mirror, String addr, Path log) throws Exception {
    List<String> argv =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.consulvmagent.cli.Main",
                "watch",
                "--config",
                cfg.toString(),
                "--root",
                root.toString(),
                "--mirror",
                mirror,
                addr,
                "--wait",
                "5",
                "--slot-ttl",
                "10"));
    return new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  @Test
  void aWatcherKilledMidRollout_isResumedByItsRestart() throws Exception {
    RealConsul agent = RealConsul.dev(tmp.resolve("consul"), c -> {});
    Process first = null, second = null;
    try {
      agent.awaitLeader();
      for (String id : new String[] {"dashboard", "dashboard-sidecar-proxy"}) {
        CliWatchRealTest.put(
            agent,
            "/v1/agent/service/register",
            "{\"ID\":\""
                + id
                + "\",\"Name\":\""
                + id
                + "\",\"Port\":9002,"
                + "\"Checks\":[{\"CheckID\":\"ttl-"
                + id
                + "\",\"Name\":\"ttl\",\"TTL\":\"10m\"}]}");
        CliWatchRealTest.put(agent, "/v1/agent/check/pass/ttl-" + id, "");
      }
      Path root = Roots.forApply(tmp.resolve("root"));
      Path cfg =
          Examples.config(tmp, "dashboard", "node_name: dashboard", "node_name: " + agent.node());
      Files.writeString(cfg, Files.readString(cfg) + "fleet:\n  group: dashboard\n");
      String addr = "-http-addr=" + agent.httpAddr();
      String mirror = Examples.mirror().url();
      var h = new ConsulHttp(ConsulEndpoint.of(agent.httpAddr()), Duration.ofSeconds(10));
      var op =
          new FleetOperator(
              new KvApi(h), new TxnApi(h), new FleetKeys("consul-vm-agent/", "dashboard"));
      Path overlay = tmp.resolve("blue.yaml");
      Files.writeString(
          overlay, "service:\n  annotations:\n    consul.hashicorp.com/service-meta-team: blue\n");
      // a long min_healthy_time: the watcher sits in its health wait, holding the slot
      run(
          "fleet",
          "push",
          "--group",
          "dashboard",
          addr,
          "--min-healthy-time",
          "60s",
          "--healthy-deadline",
          "5m",
          overlay.toString());
      Path log1 = tmp.resolve("watch1.log");
      first = watch(cfg, root, mirror, addr, log1);
      Process p1 = first;
      agent.waitUntil(
          "the watcher to apply and hold its slot",
          Duration.ofSeconds(90),
          () -> holding(op) && tail(log1).contains("consul-vm-agent-watch.service"),
          () -> poll(op) + tail(log1));
      // applied, now in its health wait: SIGKILL, nothing released
      p1.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      assertThat(poll(op).slotsHeld()).isEqualTo(1);

      Path log2 = tmp.resolve("watch2.log");
      second = watch(cfg, root, mirror, addr, log2);
      // the dead holder's session expires (TTL 10 s, up to 2 x), then the restart takes the slot
      // and waits out min_healthy_time 20 s on the verified checks, changing nothing
      agent.waitUntil(
          "the restarted watcher to end healthy at revision 1",
          Duration.ofSeconds(150),
          () -> healthyAt1(op),
          () -> poll(op) + tail(log2));
      String second2 = Files.readString(log2);
      assertThat(second2).doesNotContain("no change needed").doesNotContain("created ");
      assertThat(second2).contains("revision 1: applying").contains("revision 1: healthy");
      assertThat(poll(op).slotsHeld()).isZero();
    } finally {
      if (first != null) first.destroyForcibly();
      if (second != null) second.destroyForcibly();
      agent.close();
    }
  }

  static String tail(Path log) {
    try {
      String s = Files.readString(log);
      return "\n" + (s.length() > 3000 ? s.substring(s.length() - 3000) : s);
    } catch (Exception e) {
      return "";
    }
  }
}
