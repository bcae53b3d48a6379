package dev.consulvmagent.bench;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.ConsulQuery;
import dev.consulvmagent.consul.KvApi;
import dev.consulvmagent.consul.TxnApi;
import dev.consulvmagent.fleet.FleetKeys;
import dev.consulvmagent.fleet.FleetOperator;
import dev.consulvmagent.fleet.NodeReport;
import dev.consulvmagent.fleet.RolloutPolicy;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.RealConsul;
import dev.consulvmagent.testing.Roots;
import dev.consulvmagent.testing.TestMirror;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Benchmark (not a test; {@code scripts/bench-fleet --processes N P K}): N VMs as REAL {@code
 * consul-vm-agent watch} processes (the shipped jar, the launcher's JVM flags) against ONE real
 * Consul 1.8.7 -dev agent on loopback, max_parallel P, K slot holders killed with SIGKILL mid-
 * rollout and restarted 5 s later (the unit's Restart=always, RestartSec=5s). Each VM has its own
 * --root (a copy of one root applied beforehand: the VM exists before the rollout), its own node
 * name, and its service's and sidecar's health checks in the catalog on that node, whose status the
 * bench sets. Consul's TTL checks live on the agent's own node, and every VM here needs its own
 * node, so the bench registers each VM as a catalog node and plays the check's owner; the watcher
 * reads them exactly as on a real VM (health of its node's services, FleetConverger).
 *
 * <p>One agent serves every VM, so limits.http_max_conns_per_client (200 per client address on
 * 1.8.7) is raised to 4 × N + 50: each watcher holds one blocking read of its group, one of the
 * semaphore's .lock while it waits, and a pooled connection for writes. On a real fleet every
 * watcher talks to its own local agent, a handful of connections far under the limit.
 *
 * <p>Prints "FLEET-PROC key value" lines.
 */
public final class FleetProcessBench {
  private FleetProcessBench() {}

  static final List<String> JVM =
      List.of(
          "-XX:+UseSerialGC",
          "-Xss512k",
          "-Xmx96m",
          "-Xshare:auto",
          "-Xlog:cds=off,cds+dynamic=off",
          "-XX:TieredStopAtLevel=1");

  record Vm(String node, Path root, Path log, List<String> argv) {}

  static final class Proc {
    volatile Process process;
    volatile long cpuMsBeforeKill;
  }

  public static void main(String[] args) throws Exception {
    int n = Integer.parseInt(args[0]);
    int parallel = Integer.parseInt(args[1]);
    int kills = Integer.parseInt(args[2]);
    Path jar = Path.of(args[3]);
    Path work = Path.of(args[4]);
    Files.createDirectories(work);
    RealConsul agent =
        RealConsul.dev(
            work.resolve("consul"),
            List.of(
                "-hcl=limits { http_max_conns_per_client = " + (4 * n + 50) + " }",
                "-log-level=debug"),
            c -> {});
    List<Proc> procs = new ArrayList<>();
    int code = 1;
    try {
      agent.awaitLeader();
      code = run(agent, n, parallel, kills, jar, work, procs);
    } finally {
      for (Proc p : procs) if (p.process != null) p.process.destroyForcibly();
      agent.close();
    }
    System.exit(code);
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static int run(
      RealConsul agent, int wanted, int parallel, int kills, Path jar, Path work, List<Proc> procs)
      throws Exception {
    TestMirror mirror = Examples.mirror();
    Path cfg = Examples.config(work, "dashboard");
    Files.writeString(cfg, Files.readString(cfg) + "fleet:\n  group: scale\n");
    Path cds = work.resolve("watch.jsa");
    Files.deleteIfExists(cds);

    // 1. one VM installed from scratch (its archive of classes serves all), copied N times
    Path template = Roots.forApply(work.resolve("template"));
    List<String> apply = new ArrayList<>(List.of(java()));
    apply.addAll(JVM);
    apply.addAll(
        List.of(
            "-XX:ArchiveClassesAtExit=" + cds,
            "-jar",
            jar.toString(),
            "apply",
            "--config",
            cfg.toString(),
            "--root",
            template.toString(),
            "--mirror",
            mirror.url()));
    Process a =
        new ProcessBuilder(apply)
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("template-apply.log").toFile())
            .start();
    if (a.waitFor() != 0) throw new IllegalStateException("template apply failed: see its log");

    ConsulHttp http = new ConsulHttp(ConsulEndpoint.of(agent.httpAddr()), Duration.ofSeconds(30));
    KvApi kv = new KvApi(http);
    FleetKeys keys = new FleetKeys("consul-vm-agent/", "scale");
    List<Vm> vms = new ArrayList<>();
    Path vmDir = work.resolve("vm");

    // 2. start them, spaced out (a fleet's VMs do not boot in the same 100 ms either), as many as
    // fit: never below the memory reserve left for everything else on the machine
    long reserveMib = Long.parseLong(System.getenv().getOrDefault("BENCH_MEM_RESERVE_MIB", "4096"));
    double[] load0 = load();
    long t0 = System.nanoTime();
    for (int i = 0; i < wanted; i++) {
      long avail = field(Path.of("/proc/meminfo"), "MemAvailable:") / 1024;
      if (avail < reserveMib) {
        System.out.printf(
            "FLEET-PROC memory: %d MiB available after %d watchers, reserve %d MiB: stopping at"
                + " %d%n",
            avail, i, reserveMib, i);
        break;
      }
      String node = "vm-" + i;
      Path root = vmDir.resolve(node);
      copy(template, root);
      setChecks(http, node, "passing");
      List<String> argv = new ArrayList<>(List.of(java()));
      argv.addAll(JVM);
      argv.addAll(
          List.of(
              "-XX:SharedArchiveFile=" + cds,
              "-jar",
              jar.toString(),
              "watch",
              "--config",
              cfg.toString(),
              "--root",
              root.toString(),
              "--mirror",
              mirror.url(),
              "-http-addr=" + agent.httpAddr(),
              "--node",
              node,
              "--wait",
              "300",
              "--slot-ttl",
              "10"));
      Vm vm = new Vm(node, root, vmDir.resolve(node + ".log"), argv);
      vms.add(vm);
      Proc p = new Proc();
      p.process = start(vm);
      procs.add(p);
      Thread.sleep(150);
    }
    int n = vms.size();
    waitFor(
        "every watcher to watch",
        Duration.ofMinutes(15),
        () -> vms.stream().allMatch(v -> log(v).contains("fleet: watching group scale")));
    System.out.printf(
        "FLEET-PROC started %d watchers in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
    Thread.sleep(20_000); // let the JVMs settle (JIT, first reads)
    memory(procs);

    // 3. the rollout
    FleetOperator op = new FleetOperator(kv, new TxnApi(http), keys);
    RolloutPolicy policy =
        new RolloutPolicy(
            parallel, Duration.ofSeconds(1), Duration.ofMinutes(2), true, 0, 0, false);
    Reports reports = new Reports(kv, keys);
    FleetScaleBench.LockWatch lock = new FleetScaleBench.LockWatch(kv, keys);
    long consul0 = FleetScaleBench.consulCpuMs(agent.pid());
    long watchers0 = cpuMs(procs);
    double[] loadStart = load();
    Instant pushed = Instant.now();
    long start = System.nanoTime();
    long rev =
        op.push(FleetScaleBench.overlay("1"), policy, List.of(), OptionalLong.empty()).revision();

    // 4. kill -9 slot holders once a quarter of the fleet is healthy; restart them 5 s later
    Map<String, Instant> killedAt = new LinkedHashMap<>();
    if (kills > 0) {
      int quarter = n / 4;
      waitFor(
          "a quarter of the fleet healthy, and slot holders applying",
          Duration.ofMinutes(20),
          () ->
              reports.count(rev, NodeReport.State.HEALTHY) >= quarter
                  && !reports.nodesIn(rev, NodeReport.State.APPLYING).isEmpty());
      // a fresh read, not the follower's view (it may lag under load): VMs applying right now
      List<String> applying = new ArrayList<>();
      for (NodeReport r : op.status().nodes())
        if (r.revision() == rev && r.state() == NodeReport.State.APPLYING) applying.add(r.node());
      for (String node : applying.subList(0, Math.min(kills, applying.size()))) {
        Proc p = procs.get(Integer.parseInt(node.substring(3)));
        p.cpuMsBeforeKill += cpuMs(p.process.pid());
        p.process.destroyForcibly(); // SIGKILL: nothing released, the session just stops
        p.process.waitFor(10, TimeUnit.SECONDS);
        killedAt.put(node, Instant.now());
      }
      System.out.printf(
          "FLEET-PROC killed %s at %.1f s (lock holders then: %d)%n",
          killedAt.keySet(), (System.nanoTime() - start) / 1e9, op.status().slotsHeld());
      Thread.sleep(5000);
      for (String node : killedAt.keySet()) {
        int i = Integer.parseInt(node.substring(3));
        procs.get(i).process = start(vms.get(i));
      }
    }
    waitFor(
        "every VM healthy at the revision",
        Duration.ofMinutes(30),
        () -> reports.count(rev, NodeReport.State.HEALTHY) == n);
    double wall = (System.nanoTime() - start) / 1e9;
    long consul1 = FleetScaleBench.consulCpuMs(agent.pid());
    long watchers1 = cpuMs(procs);
    double[] loadEnd = load();
    lock.thread.interrupt();
    reports.stop();
    System.out.printf(
        "FLEET-PROC vms %d max_parallel %d killed %d rollout_wall_s %.1f max_lock_holders %d"
            + " max_applying_by_reports %d consul_cpu_s %.1f watchers_cpu_s %.1f %s%n",
        n,
        parallel,
        killedAt.size(),
        wall,
        lock.max.get(),
        reports.maxConcurrent(killedAt),
        (consul1 - consul0) / 1000.0,
        (watchers1 - watchers0) / 1000.0,
        lock.turns());
    System.out.printf(
        "FLEET-PROC load before_start %s rollout_start %s rollout_end %s cpus %d%n",
        fmt(load0), fmt(loadStart), fmt(loadEnd), Runtime.getRuntime().availableProcessors());
    for (String node : killedAt.keySet())
      System.out.printf("FLEET-PROC killed %s events %s%n", node, reports.events(node));

    // 5. idle: the agent's own request log (1.8.7 logs every finished HTTP request at debug)
    Thread.sleep(10_000);
    Path consulLog = agent.configDir().resolveSibling("consul.log"); // RealConsul's log
    long before = requests(consulLog);
    long w0 = System.nanoTime();
    Thread.sleep(1000L * Integer.parseInt(System.getenv().getOrDefault("BENCH_IDLE_S", "120")));
    long after = requests(consulLog);
    double minutes = (System.nanoTime() - w0) / 60e9;
    System.out.printf(
        "FLEET-PROC idle_requests_per_watcher_per_min %.2f (%d requests, %d watchers, %.1f min)%n",
        (after - before) / minutes / n, after - before, n, minutes);
    memory(procs);
    return 0;
  }

  static String fmt(double[] l) {
    return String.format("%.2f/%.2f/%.2f", l[0], l[1], l[2]);
  }

  static double[] load() throws IOException {
    String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
    return new double[] {
      Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])
    };
  }

  /** "Request finished" lines the agent has logged so far (agent/http.go, at debug). */
  static long requests(Path log) throws IOException {
    try (Stream<String> s = Files.lines(log)) {
      return s.filter(l -> l.contains("Request finished")).count();
    }
  }

  static void copy(Path from, Path to) throws Exception {
    Files.createDirectories(to.getParent());
    Process p = new ProcessBuilder("cp", "-a", from.toString(), to.toString()).inheritIO().start();
    if (p.waitFor() != 0) throw new IllegalStateException("cp -a failed");
  }

  static Process start(Vm v) throws IOException {
    return new ProcessBuilder(v.argv())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(v.log().toFile()))
        .start();
  }

  static String log(Vm v) {
    try {
      return Files.readString(v.log());
    } catch (IOException e) {
      return "";
    }
  }

  /** The VM's service and its sidecar on the VM's own catalog node, checks at this status. */
  static void setChecks(ConsulHttp http, String node, String status) {
    for (String id : new String[] {"dashboard", "dashboard-sidecar-proxy"}) {
      Map<String, Object> check = new LinkedHashMap<>();
      check.put("Node", node);
      check.put("CheckID", "bench-" + id);
      check.put("Name", "bench-controlled check of " + id);
      check.put("Status", status);
      check.put("ServiceID", id);
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("Node", node);
      body.put("Address", "127.0.0.1");
      body.put("Service", Map.of("ID", id, "Service", id, "Port", 9002));
      body.put("Checks", List.of(check));
      http.put("/v1/catalog/register", Json.render(body), ConsulQuery.NONE, "node:write");
    }
  }

  static long cpuMs(long pid) {
    try {
      return FleetScaleBench.consulCpuMs(pid);
    } catch (Exception e) {
      return 0; // gone
    }
  }

  static long cpuMs(List<Proc> procs) {
    long sum = 0;
    for (Proc p : procs) sum += p.cpuMsBeforeKill + cpuMs(p.process.pid());
    return sum;
  }

  /** Per-process resident memory: VmRSS, and Pss (shared pages, the class archive, split). */
  static void memory(List<Proc> procs) throws IOException {
    List<Long> rss = new ArrayList<>();
    long pss = 0;
    for (Proc p : procs) {
      long pid = p.process.pid();
      rss.add(field(Path.of("/proc/" + pid + "/status"), "VmRSS:"));
      pss += field(Path.of("/proc/" + pid + "/smaps_rollup"), "Pss:");
    }
    Collections.sort(rss);
    System.out.printf(
        "FLEET-PROC rss_kib median %d max %d sum_pss_mib %d mem_available_mib %d%n",
        rss.get(rss.size() / 2),
        rss.get(rss.size() - 1),
        pss / 1024,
        field(Path.of("/proc/meminfo"), "MemAvailable:") / 1024);
  }

  static long field(Path file, String name) throws IOException {
    for (String l : Files.readAllLines(file))
      if (l.startsWith(name))
        return Long.parseLong(l.substring(name.length()).trim().split(" ")[0]);
    return 0;
  }

  interface Check {
    boolean ok() throws Exception;
  }

  static void waitFor(String what, Duration max, Check c) throws Exception {
    long end = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < end) {
      if (c.ok()) return;
      Thread.sleep(250);
    }
    throw new IllegalStateException("timed out waiting for " + what);
  }

  /**
   * Follows the nodes' reports with blocking reads of the group's nodes/ prefix and keeps every
   * report seen per node (state and the watcher's own "since" time): which VMs apply, and how many
   * at once by their own timestamps.
   */
  static final class Reports {
    final Map<String, List<NodeReport>> seen = new ConcurrentHashMap<>();
    final Map<String, NodeReport> latest = new ConcurrentHashMap<>();
    final Thread thread;

    Reports(KvApi kv, FleetKeys keys) {
      thread =
          new Thread(
              () -> {
                long index = 0;
                while (!Thread.currentThread().isInterrupted()) {
                  try {
                    var r =
                        kv.list(
                            keys.nodes(),
                            ConsulQuery.blocking(Math.max(1, index), Duration.ofSeconds(10)));
                    index = r.index();
                    for (var p : r.pairs()) {
                      String node = p.key().substring(keys.nodes().length());
                      NodeReport rep = NodeReport.fromJson(node, p.value());
                      NodeReport old = latest.put(node, rep);
                      if (old == null
                          || old.state() != rep.state()
                          || !old.since().equals(rep.since())
                          || old.revision() != rep.revision())
                        seen.computeIfAbsent(
                                node, k -> Collections.synchronizedList(new ArrayList<>()))
                            .add(rep);
                    }
                  } catch (Exception e) {
                    if (Thread.currentThread().isInterrupted()) return;
                  }
                }
              });
      thread.setDaemon(true);
      thread.start();
    }

    void stop() {
      thread.interrupt();
    }

    long count(long rev, NodeReport.State s) {
      return latest.values().stream().filter(r -> r.revision() == rev && r.state() == s).count();
    }

    List<String> nodesIn(long rev, NodeReport.State s) {
      List<String> out = new ArrayList<>();
      for (NodeReport r : latest.values())
        if (r.revision() == rev && r.state() == s) out.add(r.node());
      Collections.sort(out);
      return out;
    }

    List<String> events(String node) {
      List<String> out = new ArrayList<>();
      for (NodeReport r : seen.getOrDefault(node, List.of()))
        out.add(r.state().wire() + "@" + r.since());
      return out;
    }

    /**
     * Most VMs applying at once by their reports: from an "applying" report to the next report of
     * that VM (healthy, failed, ...), or to its kill (a killed VM applies nothing more).
     */
    int maxConcurrent(Map<String, Instant> killedAt) {
      List<long[]> edges = new ArrayList<>();
      for (var e : seen.entrySet()) {
        List<NodeReport> l;
        synchronized (e.getValue()) {
          l = new ArrayList<>(e.getValue());
        }
        Instant killed = killedAt.get(e.getKey());
        Instant open = null;
        for (NodeReport r : l) {
          Instant at = Instant.parse(r.since());
          if (open != null && killed != null && killed.isAfter(open) && killed.isBefore(at)) {
            edges.add(new long[] {open.toEpochMilli(), 1});
            edges.add(new long[] {killed.toEpochMilli(), -1});
            open = null;
          }
          if (open != null) {
            edges.add(new long[] {open.toEpochMilli(), 1});
            edges.add(new long[] {at.toEpochMilli(), -1});
            open = null;
          }
          if (r.state() == NodeReport.State.APPLYING) open = at;
        }
      }
      // ends before starts at the same millisecond: a handover is not an overlap
      edges.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
      int cur = 0, max = 0;
      for (long[] e : edges) {
        cur += (int) e[1];
        max = Math.max(max, cur);
      }
      return max;
    }
  }
}
