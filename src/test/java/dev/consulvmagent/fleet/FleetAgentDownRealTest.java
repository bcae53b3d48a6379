package dev.consulvmagent.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.KvApi;
import dev.consulvmagent.consul.SessionApi;
import dev.consulvmagent.consul.TxnApi;
import dev.consulvmagent.testing.RealConsul;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A REAL Consul 1.8.7 agent stopped under a running watcher: the watcher backs off (capped, not a
 * spin), keeps its revision, reports nothing wrong and reverts nothing. Back-off values are scaled
 * down (0.2 s × failures², cap 1 s) so the cap is reached within the test.
 */
class FleetAgentDownRealTest {
  @TempDir Path tmp;

  @Test
  void agentDown_cappedBackOff_noRevert_thenResumes() throws Exception {
    RealConsul.Listeners ports = RealConsul.reserve();
    RealConsul agent = RealConsul.dev(tmp.resolve("a"), ports, c -> {});
    agent.awaitLeader();
    ConsulHttp http = new ConsulHttp(ConsulEndpoint.of(agent.httpAddr()), Duration.ofSeconds(5));
    byte[] base =
        (Files.readString(Path.of("examples/dashboard.yaml")) + "fleet:\n  group: dashboard\n")
            .getBytes(StandardCharsets.UTF_8);
    FleetRealTest.RecordingConverger c = new FleetRealTest.RecordingConverger();
    FleetRealTest.MemLocal local = new FleetRealTest.MemLocal();
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    FleetKeys keys = new FleetKeys("consul-vm-agent/", "down");
    KvApi kv = new KvApi(http);
    RolloutPolicy revert =
        new RolloutPolicy(1, Duration.ZERO, Duration.ofSeconds(5), true, 0, 0, false);
    Watcher w =
        new Watcher(
            "web-1",
            new ConsulGroupStore(kv, keys),
            new ConsulSemaphore(
                kv, new SessionApi(http), keys.lock(), "web-1", Duration.ofSeconds(10), log::add),
            c,
            local,
            () -> base,
            Clock.SYSTEM,
            log::add,
            new Watcher.Settings(
                Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(100)));
    Thread t =
        new Thread(
            () -> {
              try {
                w.run(
                    new BlockingIndex(
                        Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofMillis(100)),
                    -1);
              } catch (InterruptedException e) {
                // stopped
              }
            });
    t.setDaemon(true);
    t.start();
    try {
      new FleetOperator(kv, new TxnApi(http), keys)
          .push(FleetRealTest.overlay(1), revert, List.of(), OptionalLong.empty());
      agent.waitUntil(
          "revision 1 applied",
          Duration.ofSeconds(30),
          () -> local.s != null && local.s.state() == NodeReport.State.HEALTHY);
      agent.close();
      int before = count(log);
      Thread.sleep(8000);
      int attempts = count(log) - before;
      // 0.2, 0.8, 1, 1, ... s: about 9 in 8 s; a spin would be thousands
      assertThat(attempts).isBetween(4, 14);
      assertThat(local.s.appliedRevision()).isEqualTo(1);
      assertThat(local.s.state()).isEqualTo(NodeReport.State.HEALTHY);
      assertThat(c.applied).containsExactly(1L);
      assertThat(log).noneMatch(l -> l.contains("revert"));
      System.out.println(
          "FLEET-BENCH agent down 8 s: " + attempts + " attempts (cap 1 s in this test)");

      // the agent comes back (same ports, fresh data): the watcher reads again and goes on
      RealConsul again = RealConsul.dev(tmp.resolve("b"), ports, x -> {});
      try {
        again.awaitLeader();
        ConsulHttp h2 = new ConsulHttp(ConsulEndpoint.of(again.httpAddr()), Duration.ofSeconds(5));
        new FleetOperator(new KvApi(h2), new TxnApi(h2), keys)
            .push(FleetRealTest.overlay(2), revert, List.of(), OptionalLong.empty());
        again.waitUntil(
            "a new revision after the outage",
            Duration.ofSeconds(30),
            () -> c.applied.contains(1L) && c.applied.size() == 2);
      } finally {
        again.close();
      }
    } finally {
      t.interrupt();
      agent.close();
    }
  }

  static int count(List<String> log) {
    synchronized (log) {
      return (int) log.stream().filter(l -> l.startsWith("Consul unavailable (")).count();
    }
  }
}
