package dev.consulvmagent.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.KvApi;
import dev.consulvmagent.consul.SessionApi;
import dev.consulvmagent.consul.TxnApi;
import dev.consulvmagent.fleet.HealthTracker.Sample;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecException;
import dev.consulvmagent.testing.RealConsul;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pushes and the watcher against a REAL Consul 1.8.7 (-dev): the real KV store, transactions,
 * blocking queries, sessions and semaphore. Only the VM side (the engine and health) is a double:
 * {@link RecordingConverger} records which revision it was asked to apply and answers passing.
 */
class FleetRealTest {
  @TempDir static Path tmp;
  static RealConsul agent;
  static ConsulHttp http;
  static byte[] base;

  @BeforeAll
  static void start() throws Exception {
    agent = RealConsul.dev(tmp, c -> {});
    agent.awaitLeader();
    http = new ConsulHttp(ConsulEndpoint.of(agent.httpAddr()), Duration.ofSeconds(10));
    base =
        (Files.readString(Path.of("examples/dashboard.yaml")) + "fleet:\n  group: dashboard\n")
            .getBytes(StandardCharsets.UTF_8);
  }

  @AfterAll
  static void stop() {
    if (agent != null) agent.close();
  }

  static final RolloutPolicy QUICK =
      new RolloutPolicy(1, Duration.ZERO, Duration.ofSeconds(10), false, 0, 0, false);

  static byte[] overlay(long n) {
    return ("service:\n  annotations:\n    consul.hashicorp.com/service-meta-rev: \"" + n + "\"\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  static FleetOperator operator(String group) {
    return new FleetOperator(
        new KvApi(http), new TxnApi(http), new FleetKeys("consul-vm-agent/", group));
  }

  /**
   * TEST DOUBLE of the VM's engine: records the meta "rev" of each spec applied; always healthy.
   */
  static final class RecordingConverger implements Converger {
    final List<Long> applied = Collections.synchronizedList(new ArrayList<>());

    @Override
    public boolean hasChanges(AgentSpec spec) {
      return true;
    }

    @Override
    public void apply(AgentSpec spec) {
      applied.add(Long.parseLong(spec.service().get().mesh().meta().getOrDefault("rev", "0")));
    }

    @Override
    public Sample health(AgentSpec spec) {
      return Sample.PASSING;
    }
  }

  static final class MemLocal implements LocalState.Store {
    volatile LocalState s;

    @Override
    public Optional<LocalState> load() {
      return Optional.ofNullable(s);
    }

    @Override
    public void save(LocalState st) {
      s = st;
    }
  }

  static Thread watch(String group, String node, Converger c, List<String> log, BlockingIndex b) {
    KvApi kv = new KvApi(http);
    FleetKeys keys = new FleetKeys("consul-vm-agent/", group);
    Watcher w =
        new Watcher(
            node,
            new ConsulGroupStore(kv, keys),
            new ConsulSemaphore(
                kv, new SessionApi(http), keys.lock(), node, Duration.ofSeconds(10), log::add),
            c,
            new MemLocal(),
            () -> base,
            Clock.SYSTEM,
            log::add,
            new Watcher.Settings(
                Duration.ofSeconds(20), Duration.ofSeconds(5), Duration.ofMillis(100)));
    Thread t =
        new Thread(
            () -> {
              try {
                w.run(b, -1);
              } catch (InterruptedException e) {
                // stopped
              }
            },
            "watcher " + node);
    t.setDaemon(true);
    t.start();
    return t;
  }

  static NodeReport report(String group, String node) {
    return new ConsulGroupStore(new KvApi(http), new FleetKeys("consul-vm-agent/", group))
        .reports().stream().filter(r -> r.node().equals(node)).findFirst().orElse(null);
  }

  @Test
  void twoConcurrentPushesFromTheSameBase_exactlyOneWins() throws Exception {
    FleetOperator op = operator("race");
    op.push(overlay(0), QUICK, List.of(), OptionalLong.empty());
    for (int round = 0; round < 10; round++) {
      long baseRev = op.status().desired().get().revision();
      CyclicBarrier go = new CyclicBarrier(2);
      AtomicInteger won = new AtomicInteger();
      List<String> lost = Collections.synchronizedList(new ArrayList<>());
      List<Thread> ts = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        int who = i;
        Thread t =
            new Thread(
                () -> {
                  try {
                    go.await();
                    operator("race").push(overlay(who), QUICK, List.of(), OptionalLong.of(baseRev));
                    won.incrementAndGet();
                  } catch (FleetOperator.PushConflictException e) {
                    lost.add(e.getMessage());
                  } catch (Exception e) {
                    lost.add("unexpected: " + e);
                  }
                });
        t.start();
        ts.add(t);
      }
      for (Thread t : ts) t.join(30_000);
      assertThat(won.get()).as("round " + round).isEqualTo(1);
      assertThat(lost).hasSize(1);
      assertThat(lost.get(0)).startsWith("someone pushed first");
      assertThat(op.status().desired().get().revision()).isEqualTo(baseRev + 1);
    }
  }

  @Test
  void anOverlayWithForbiddenKeys_isNeverPushed() {
    FleetOperator op = operator("forbidden");
    assertThatThrownBy(
            () ->
                op.push(
                    "consul:\n  retry_join: [203.0.113.1]\n".getBytes(StandardCharsets.UTF_8),
                    QUICK,
                    List.of(),
                    OptionalLong.empty()))
        .hasMessageContaining("overlay.consul.retry_join");
    assertThat(op.status().desired()).isEmpty();
    assertThatThrownBy(
            () ->
                op.push(
                    overlay(1),
                    QUICK,
                    List.of("dns: {mode: x}\n".getBytes()),
                    OptionalLong.empty()))
        .isInstanceOf(SpecException.class);
    assertThat(op.status().desired()).isEmpty();
  }

  @Test
  void fiftyPushesInFiveSeconds_theLatestIsApplied_neverAnOlderAfterANewer() throws Exception {
    RecordingConverger c = new RecordingConverger();
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    Thread w = watch("burst", "web-1", c, log, BlockingIndex.standard());
    try {
      FleetOperator op = operator("burst");
      long last = 0;
      long t0 = System.nanoTime();
      for (int i = 1; i <= 50; i++) {
        last = op.push(overlay(i), QUICK, List.of(), OptionalLong.empty()).revision();
        Thread.sleep(Math.max(0, t0 / 1_000_000 + i * 100L - System.nanoTime() / 1_000_000));
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      assertThat(secs).isLessThan(8);
      long want = last;
      agent.waitUntil(
          "the watcher to report healthy at revision " + want,
          Duration.ofSeconds(60),
          () -> {
            NodeReport r = report("burst", "web-1");
            return r != null && r.revision() == want && r.state() == NodeReport.State.HEALTHY;
          },
          () -> String.valueOf(report("burst", "web-1")));
      List<Long> applied = List.copyOf(c.applied);
      assertThat(applied).isNotEmpty().last().isEqualTo(50L);
      for (int i = 1; i < applied.size(); i++)
        assertThat(applied.get(i))
            .as("applied in order: " + applied)
            .isGreaterThan(applied.get(i - 1));
      System.out.println(
          "FLEET-BENCH 50 pushes in "
              + secs
              + " s: the watcher applied "
              + applied.size()
              + " revisions: "
              + applied);
    } finally {
      w.interrupt();
    }
  }

  @Test
  void afterASnapshotRestore_theWatcherReReads_andMissesNothing() throws Exception {
    RecordingConverger c = new RecordingConverger();
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    Thread w = watch("restore", "web-1", c, log, BlockingIndex.standard());
    try {
      FleetOperator op = operator("restore");
      op.push(overlay(1), QUICK, List.of(), OptionalLong.empty());
      agent.waitUntil("revision 1", Duration.ofSeconds(30), () -> c.applied.contains(1L));
      Path snap = tmp.resolve("snap-" + System.nanoTime());
      assertThat(agent.cli("snapshot", "save", snap.toString()).code()).isZero();
      op.push(overlay(2), QUICK, List.of(), OptionalLong.empty());
      op.push(overlay(3), QUICK, List.of(), OptionalLong.empty());
      agent.waitUntil(
          "revision 3",
          Duration.ofSeconds(30),
          () -> {
            NodeReport r = report("restore", "web-1");
            return r != null && r.revision() == 3 && r.state() == NodeReport.State.HEALTHY;
          });
      RealConsul.Exec restore = agent.cli("snapshot", "restore", snap.toString());
      assertThat(restore.code()).as(restore.output()).isZero();
      assertThat(op.status().desired().get().revision()).isEqualTo(1); // KV went back
      agent.waitUntil(
          "the watcher to notice the index going backwards and report again",
          Duration.ofSeconds(30),
          () -> {
            NodeReport r = report("restore", "web-1");
            return r != null && r.revision() == 3;
          });
      assertThat(log).anyMatch(l -> l.contains("went backwards"));
      long next = op.push(overlay(4), QUICK, List.of(), OptionalLong.empty()).revision();
      assertThat(next).isEqualTo(4); // numbered above what the VM ran, not base 1 + 1
      agent.waitUntil("revision 4 applied", Duration.ofSeconds(30), () -> c.applied.contains(4L));
      // 2 may be skipped (3 came before a slot was free): the latest wins, in order, nothing lost
      assertThat(c.applied).startsWith(1L).endsWith(3L, 4L).isSorted().doesNotHaveDuplicates();
    } finally {
      w.interrupt();
    }
  }

  @Test
  void aCanary_goesFirst_theOthersWaitForPromote() throws Exception {
    RolloutPolicy canary =
        new RolloutPolicy(2, Duration.ZERO, Duration.ofSeconds(10), false, 1, 0, false);
    List<RecordingConverger> cs = new ArrayList<>();
    List<Thread> ws = new ArrayList<>();
    ConsulGroupStore store =
        new ConsulGroupStore(new KvApi(http), new FleetKeys("consul-vm-agent/", "canary"));
    for (int i = 1; i <= 3; i++) // the group's members have reported before (revision 0)
    store.report(new NodeReport("vm-" + i, 0, NodeReport.State.HEALTHY, "", "", 0));
    try {
      for (int i = 1; i <= 3; i++) {
        RecordingConverger c = new RecordingConverger();
        cs.add(c);
        ws.add(
            watch(
                "canary",
                "vm-" + i,
                c,
                Collections.synchronizedList(new ArrayList<>()),
                BlockingIndex.standard()));
      }
      FleetOperator op = operator("canary");
      long rev = op.push(overlay(1), canary, List.of(), OptionalLong.empty()).revision();
      agent.waitUntil(
          "one canary healthy, two waiting for promote",
          Duration.ofSeconds(30),
          () -> {
            List<NodeReport> rs = store.reports();
            return rs.stream()
                        .filter(r -> r.revision() == rev && r.state() == NodeReport.State.HEALTHY)
                        .count()
                    == 1
                && rs.stream().filter(r -> r.message().contains("fleet promote")).count() == 2;
          },
          () -> store.reports().toString());
      Thread.sleep(2000); // and they keep waiting
      assertThat(cs.stream().mapToInt(c -> c.applied.size()).sum()).isEqualTo(1);
      assertThat(op.status().canaries().nodes()).hasSize(1);
      assertThat(op.promote()).isEqualTo(rev);
      agent.waitUntil(
          "every VM healthy after promote",
          Duration.ofSeconds(30),
          () ->
              store.reports().stream()
                      .filter(r -> r.revision() == rev && r.state() == NodeReport.State.HEALTHY)
                      .count()
                  == 3);
      assertThat(cs.stream().mapToInt(c -> c.applied.size()).sum()).isEqualTo(3);
    } finally {
      ws.forEach(Thread::interrupt);
    }
  }
}
