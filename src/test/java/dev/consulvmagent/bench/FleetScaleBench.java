package dev.consulvmagent.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.ConsulQuery;
import dev.consulvmagent.consul.HealthApi;
import dev.consulvmagent.consul.KvApi;
import dev.consulvmagent.consul.SessionApi;
import dev.consulvmagent.consul.TxnApi;
import dev.consulvmagent.fleet.BlockingIndex;
import dev.consulvmagent.fleet.Clock;
import dev.consulvmagent.fleet.ConsulGroupStore;
import dev.consulvmagent.fleet.ConsulSemaphore;
import dev.consulvmagent.fleet.Control;
import dev.consulvmagent.fleet.Converger;
import dev.consulvmagent.fleet.Desired;
import dev.consulvmagent.fleet.FleetKeys;
import dev.consulvmagent.fleet.FleetOperator;
import dev.consulvmagent.fleet.GroupStore;
import dev.consulvmagent.fleet.GroupView;
import dev.consulvmagent.fleet.HealthTracker.Sample;
import dev.consulvmagent.fleet.LocalState;
import dev.consulvmagent.fleet.NodeReport;
import dev.consulvmagent.fleet.RolloutPolicy;
import dev.consulvmagent.fleet.Watcher;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.testing.RealConsul;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark (not a test; scripts/bench-fleet): N simulated VMs against ONE real Consul 1.8.7 agent
 * on loopback, each a watcher thread with its own node name and a TTL health check in the agent
 * that the bench sets (passing after an apply, critical for a bad revision). The engine is a double
 * (an apply takes 200 ms); everything Consul does is real: KV, transactions, blocking queries,
 * sessions, the semaphore, health. Prints "FLEET-BENCH key value" lines.
 *
 * <p>One agent serves every simulated VM, so limits.http_max_conns_per_client (200 on 1.8.7) is
 * raised to 4 × N for the run; on a real fleet each watcher talks to its own local agent (one
 * blocking connection, two while waiting for a slot).
 */
public final class FleetScaleBench {
  private FleetScaleBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int parallel = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Path dir = Files.createTempDirectory("cva-fleet-bench");
    RealConsul agent =
        RealConsul.dev(
            dir,
            List.of("-hcl=limits { http_max_conns_per_client = " + (4 * n + 50) + " }"),
            c -> {});
    try {
      agent.awaitLeader();
      run(agent, n, parallel);
    } finally {
      agent.close();
    }
    System.exit(0);
  }

  static final AtomicInteger reads = new AtomicInteger();

  /** Counts reads of spec/ (the idle request rate). */
  record Counting(GroupStore in) implements GroupStore {
    public GroupView read(long index, Duration wait) {
      reads.incrementAndGet();
      return in.read(index, wait);
    }

    public Optional<Desired> revision(long k) {
      return in.revision(k);
    }

    public void report(NodeReport r) {
      in.report(r);
    }

    public List<NodeReport> reports() {
      return in.reports();
    }

    public void halt(Control.Halt h) {
      in.halt(h);
    }

    public boolean claimCanary(long revision, String node, int limit) {
      return in.claimCanary(revision, node, limit);
    }

    public void promote(long revision) {
      in.promote(revision);
    }
  }

  /** A simulated VM's engine: apply sleeps, then sets its TTL check; health reads it back. */
  static final class SimulatedVm implements Converger {
    final String check;
    final ConsulHttp http;
    final HealthApi health;
    final String node;
    final AtomicInteger applies = new AtomicInteger();

    SimulatedVm(String check, ConsulHttp http, String node) {
      this.check = check;
      this.http = http;
      this.health = new HealthApi(http);
      this.node = node;
    }

    @Override
    public boolean hasChanges(AgentSpec spec) {
      return true;
    }

    @Override
    public void apply(AgentSpec spec) {
      applies.incrementAndGet();
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      boolean bad = "bad".equals(spec.service().get().mesh().meta().get("rev"));
      http.put(
          "/v1/agent/check/" + (bad ? "fail/" : "pass/") + check,
          new byte[0],
          ConsulQuery.NONE,
          "agent:write");
    }

    @Override
    public Sample health(AgentSpec spec) {
      for (HealthApi.Check c : health.node(node, ConsulQuery.NONE))
        if (c.checkId().equals(check))
          return c.passing()
              ? Sample.PASSING
              : c.status().equals("warning") ? Sample.WARNING : Sample.CRITICAL;
      return Sample.MISSING;
    }
  }

  static byte[] overlay(String rev) {
    return ("service:\n  annotations:\n    consul.hashicorp.com/service-meta-rev: \""
            + rev
            + "\"\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  static long consulCpuMs(long pid) throws Exception {
    String[] f = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10; // clock ticks of 10 ms
  }

  static long jvmCpuMs() {
    return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime()
        / 1_000_000;
  }

  static void run(RealConsul agent, int n, int parallel) throws Exception {
    ConsulHttp http = new ConsulHttp(ConsulEndpoint.of(agent.httpAddr()), Duration.ofSeconds(30));
    KvApi kv = new KvApi(http);
    FleetKeys keys = new FleetKeys("consul-vm-agent/", "scale");
    byte[] base =
        (Files.readString(Path.of("examples/dashboard.yaml")) + "fleet:\n  group: scale\n")
            .getBytes(StandardCharsets.UTF_8);
    List<SimulatedVm> vms = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String check = "vm-" + i;
      http.put(
          "/v1/agent/check/register",
          Json.render(Map.of("ID", check, "Name", check, "TTL", "10m")),
          ConsulQuery.NONE,
          "agent:write");
      SimulatedVm vm = new SimulatedVm(check, http, agent.node());
      vms.add(vm);
      Watcher w =
          new Watcher(
              check,
              new Counting(new ConsulGroupStore(kv, keys)),
              new ConsulSemaphore(
                  kv, new SessionApi(http), keys.lock(), check, Duration.ofSeconds(10), s -> {}),
              vm,
              new Mem(),
              () -> base,
              Clock.SYSTEM,
              s -> {},
              new Watcher.Settings(
                  Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofMillis(250)));
      Thread t =
          new Thread(
              () -> {
                try {
                  w.run(BlockingIndex.standard(), -1);
                } catch (InterruptedException e) {
                  // stopped
                }
              });
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
    FleetOperator op = new FleetOperator(kv, new TxnApi(http), keys);
    RolloutPolicy good =
        new RolloutPolicy(
            parallel, Duration.ofSeconds(1), Duration.ofSeconds(20), true, 0, 0, false);

    // 1. a good revision reaches every VM, never more than max_parallel holders
    LockWatch lockWatch = new LockWatch(kv, keys);
    long cpu0 = consulCpuMs(agent.pid()), jvm0 = jvmCpuMs(), t0 = System.nanoTime();
    long rev = op.push(overlay("1"), good, List.of(), OptionalLong.empty()).revision();
    waitAll(op, n, rev, NodeReport.State.HEALTHY, Duration.ofMinutes(20));
    double wall = (System.nanoTime() - t0) / 1e9;
    long cpu1 = consulCpuMs(agent.pid()), jvm1 = jvmCpuMs();
    lockWatch.thread.interrupt();
    System.out.printf(
        "FLEET-BENCH vms %d max_parallel %d rollout_wall_s %.1f max_lock_holders %d consul_cpu_s"
            + " %.1f watchers_cpu_s %.1f %s load %s%n",
        n,
        parallel,
        wall,
        lockWatch.max.get(),
        (cpu1 - cpu0) / 1000.0,
        (jvm1 - jvm0) / 1000.0,
        lockWatch.turns(),
        Files.readString(Path.of("/proc/loadavg")).strip());

    // 2. idle: requests per watcher per minute
    int r0 = reads.get();
    Thread.sleep(30_000);
    System.out.printf(
        "FLEET-BENCH idle_reads_per_watcher_per_min %.2f%n", (reads.get() - r0) * 2.0 / n);

    // 3. a bad revision halts with at most max_parallel VMs touched, all reverted
    int before = vms.stream().mapToInt(v -> v.applies.get()).sum();
    long bad = op.push(overlay("bad"), good, List.of(), OptionalLong.empty()).revision();
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (System.nanoTime() < deadline) {
      FleetOperator.Status s = op.status();
      long done =
          s.nodes().stream()
              .filter(
                  r ->
                      r.revision() == bad
                          && (r.state() == NodeReport.State.REVERTED
                              || r.state() == NodeReport.State.FAILED))
              .count();
      long applying =
          s.nodes().stream().filter(r -> r.state() == NodeReport.State.APPLYING).count();
      if (s.control().isHalted(bad) && done > 0 && applying == 0 && s.slotsHeld() == 0) break;
      Thread.sleep(500);
    }
    Thread.sleep(3000); // let any VM that was already past its slot finish
    FleetOperator.Status s = op.status();
    long touched =
        s.nodes().stream()
            .filter(r -> r.revision() == bad && r.state() != NodeReport.State.PENDING)
            .count();
    long reverted =
        s.nodes().stream()
            .filter(r -> r.revision() == bad && r.state() == NodeReport.State.REVERTED)
            .count();
    System.out.printf(
        "FLEET-BENCH bad_revision halted %s touched %d reverted %d applies %d%n",
        s.control().isHalted(bad),
        touched,
        reverted,
        vms.stream().mapToInt(v -> v.applies.get()).sum() - before);
    threads.forEach(Thread::interrupt);
  }

  static void waitAll(FleetOperator op, int n, long rev, NodeReport.State st, Duration max)
      throws InterruptedException {
    long end = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < end) {
      long ok =
          op.status().nodes().stream().filter(r -> r.revision() == rev && r.state() == st).count();
      if (ok == n) return;
      Thread.sleep(500);
    }
    throw new IllegalStateException("not every VM reached revision " + rev);
  }

  /**
   * Follows .lock with blocking reads (every version, as Consul hands them out): the most holders
   * ever, and each slot turn: from a holder leaving to the next one coming in, paired first come
   * first served (turns left unpaired at the end, when nobody waits any more, are not counted).
   */
  static final class LockWatch {
    final AtomicLong max = new AtomicLong();
    final List<Long> turnsMs = Collections.synchronizedList(new ArrayList<>());
    final List<Long> holdsMs = Collections.synchronizedList(new ArrayList<>());
    final Thread thread;

    LockWatch(KvApi kv, FleetKeys keys) {
      thread =
          new Thread(
              () -> {
                ArrayDeque<Long> freed = new ArrayDeque<>();
                Set<String> before = new HashSet<>();
                Map<String, Long> since = new HashMap<>();
                long index = 0;
                while (!Thread.currentThread().isInterrupted()) {
                  try {
                    var r =
                        kv.get(
                            keys.lock() + ".lock",
                            ConsulQuery.blocking(Math.max(1, index), Duration.ofSeconds(10)));
                    index = r.index();
                    long now = System.nanoTime();
                    Set<String> h = new HashSet<>();
                    if (r.first().isPresent()) {
                      Object holders = Json.parseObject(r.first().get().value()).get("Holders");
                      if (holders instanceof Map<?, ?> m)
                        for (var e : m.entrySet())
                          if (Boolean.TRUE.equals(e.getValue())) h.add(String.valueOf(e.getKey()));
                    }
                    max.accumulateAndGet(h.size(), Math::max);
                    for (String s : before)
                      if (!h.contains(s)) {
                        freed.add(now);
                        Long t = since.remove(s);
                        if (t != null) holdsMs.add((now - t) / 1_000_000);
                      }
                    for (String s : h)
                      if (!before.contains(s)) {
                        since.put(s, now);
                        if (!freed.isEmpty()) turnsMs.add((now - freed.poll()) / 1_000_000);
                      }
                    before = h;
                  } catch (Exception e) {
                    if (Thread.currentThread().isInterrupted()) return;
                  }
                }
              });
      thread.setDaemon(true);
      thread.start();
    }

    String turns() {
      return stats("slot_turn", turnsMs) + " " + stats("slot_hold", holdsMs);
    }

    static String stats(String name, List<Long> l) {
      List<Long> t;
      synchronized (l) {
        t = new ArrayList<>(l);
      }
      if (t.isEmpty()) return name + "s 0";
      Collections.sort(t);
      return String.format(
          "%ss %d %s_median_ms %d %s_p90_ms %d %s_max_ms %d",
          name,
          t.size(),
          name,
          t.get(t.size() / 2),
          name,
          t.get(t.size() * 9 / 10),
          name,
          t.get(t.size() - 1));
    }
  }

  static final class Mem implements LocalState.Store {
    volatile LocalState s;

    public Optional<LocalState> load() {
      return Optional.ofNullable(s);
    }

    public void save(LocalState st) {
      s = st;
    }
  }
}
