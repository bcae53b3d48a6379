package dev.consulvmagent.app;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulException;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.HealthApi;
import dev.consulvmagent.consul.InvalidEndpointException;
import dev.consulvmagent.consul.KvApi;
import dev.consulvmagent.consul.SessionApi;
import dev.consulvmagent.consul.TxnApi;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.fleet.BlockingIndex;
import dev.consulvmagent.fleet.Clock;
import dev.consulvmagent.fleet.ConsulGroupStore;
import dev.consulvmagent.fleet.ConsulSemaphore;
import dev.consulvmagent.fleet.Desired;
import dev.consulvmagent.fleet.FleetAcl;
import dev.consulvmagent.fleet.FleetKeys;
import dev.consulvmagent.fleet.FleetOperator;
import dev.consulvmagent.fleet.FleetUnavailableException;
import dev.consulvmagent.fleet.GoDuration;
import dev.consulvmagent.fleet.NodeReport;
import dev.consulvmagent.fleet.RolloutPolicy;
import dev.consulvmagent.fleet.Watcher;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.ConsulConfig;
import dev.consulvmagent.secure.ClientMesh;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.FleetSpec;
import dev.consulvmagent.spec.SpecException;
import dev.consulvmagent.spec.SpecLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * Fleet rollouts (issue 22), for the CLI: the operator commands (push, status, pause, resume,
 * promote, rollback) and the watcher. The Consul endpoint is found as Consul's CLI finds it (flags
 * over CONSUL_HTTP_* over 127.0.0.1:8500).
 */
public final class Fleet {
  private final EventSink events;

  public Fleet(EventSink events) {
    this.events = events;
  }

  /** Rollout policy flags (empty: Nomad's default). */
  public record PolicyInput(
      Optional<Integer> maxParallel,
      Optional<String> minHealthyTime,
      Optional<String> healthyDeadline,
      Optional<Boolean> autoRevert,
      Optional<Integer> canary,
      Optional<Integer> canaryPercent,
      Optional<Boolean> autoPromote) {}

  /** Lost a check-and-set race (exit 6). */
  public static final class ConflictException extends RuntimeException {
    ConflictException(String m) {
      super(m);
    }
  }

  /** Consul failed or refused (exit 1); the message says which and what to do. */
  public static final class FleetFailedException extends RuntimeException {
    FleetFailedException(String m, Throwable cause) {
      super(m, cause);
    }
  }

  /** A flag that cannot work (an unknown scheme in -http-addr, a token file that is missing). */
  public static final class UsageException extends RuntimeException {
    UsageException(String m) {
      super(m);
    }
  }

  static ConsulHttp http(ConsulFlags c, Optional<String> configAddr, Duration timeout) {
    try {
      return endpoint(c, configAddr, timeout);
    } catch (InvalidEndpointException e) {
      throw new UsageException(e.getMessage());
    }
  }

  private static ConsulHttp endpoint(ConsulFlags c, Optional<String> configAddr, Duration timeout) {
    return new ConsulHttp(ConsulEndpoint.resolve(c.input(System.getenv(), configAddr)), timeout);
  }

  private static <T> T consul(Supplier<T> s) {
    try {
      return s.get();
    } catch (ConsulException | FleetUnavailableException e) {
      throw new FleetFailedException(e.getMessage(), e);
    } catch (FleetOperator.PushConflictException e) {
      throw new ConflictException(e.getMessage());
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new FleetFailedException(e.getMessage(), e);
    }
  }

  static RolloutPolicy policy(PolicyInput p) {
    RolloutPolicy d = RolloutPolicy.DEFAULT;
    try {
      return new RolloutPolicy(
          p.maxParallel().orElse(d.maxParallel()),
          p.minHealthyTime().map(GoDuration::parse).orElse(d.minHealthyTime()),
          p.healthyDeadline().map(GoDuration::parse).orElse(d.healthyDeadline()),
          p.autoRevert().orElse(d.autoRevert()),
          p.canary().orElse(d.canary()),
          p.canaryPercent().orElse(d.canaryPercent()),
          p.autoPromote().orElse(d.autoPromote()));
    } catch (IllegalArgumentException e) {
      throw new SpecException("policy", e.getMessage());
    }
  }

  private static FleetOperator operator(ConsulFlags c, String prefix, String group) {
    return operator(http(c, Optional.empty(), Duration.ofSeconds(30)), prefix, group);
  }

  /** One transport per command: each holds a connection pool (Consul 1.8.7 allows 200 a client). */
  private static FleetOperator operator(ConsulHttp h, String prefix, String group) {
    if (!FleetSpec.isGroup(group))
      throw new SpecException("--group", "is not a group name (a-z, 0-9, '-', '_'): " + group);
    if (!FleetSpec.isPrefix(prefix))
      throw new SpecException("--kv-prefix", "is not a KV prefix ending in '/': " + prefix);
    return new FleetOperator(new KvApi(h), new TxnApi(h), new FleetKeys(prefix, group));
  }

  /**
   * fleet acl: the least-privilege ACL rules (HCL) of a group's watcher on one node, or of the
   * group's operator (no node). Touches nothing.
   */
  public static String aclRules(String prefix, String group, Optional<String> node) {
    if (!FleetSpec.isGroup(group))
      throw new SpecException("--group", "is not a group name (a-z, 0-9, '-', '_'): " + group);
    if (!FleetSpec.isPrefix(prefix))
      throw new SpecException("--kv-prefix", "is not a KV prefix ending in '/': " + prefix);
    FleetKeys k = new FleetKeys(prefix, group);
    if (node.isEmpty()) return FleetAcl.operatorRules(k);
    if (!FleetKeys.isNodeName(node.get()))
      throw new SpecException("--node", "is not a node name usable in a KV key: " + node.get());
    return FleetAcl.watcherRules(k, node.get());
  }

  /** fleet push: validates, then pushes the next revision; returns its number. */
  public long push(
      ConsulFlags c,
      String prefix,
      String group,
      Path overlayFile,
      PolicyInput policy,
      List<Path> configs,
      OptionalLong base) {
    byte[] overlay =
        SpecLoader.readInput(overlayFile, 256 * 1024, "overlay", "(fleet push --group G FILE)");
    List<byte[]> cfgs = new ArrayList<>();
    for (Path p : configs)
      cfgs.add(SpecLoader.readInput(p, SpecLoader.MAX_BYTES, "config", "(--validate-against)"));
    RolloutPolicy pol = policy(policy);
    FleetOperator op = operator(c, prefix, group);
    Desired d = consul(() -> op.push(overlay, pol, cfgs, base));
    events.info("pushed revision " + d.revision() + " to group " + group);
    return d.revision();
  }

  public long rollback(ConsulFlags c, String prefix, String group, OptionalLong to) {
    FleetOperator op = operator(c, prefix, group);
    return consul(() -> op.rollback(to)).revision();
  }

  public boolean pause(ConsulFlags c, String prefix, String group, boolean paused) {
    FleetOperator op = operator(c, prefix, group);
    return consul(() -> op.pause(paused));
  }

  public long promote(ConsulFlags c, String prefix, String group) {
    FleetOperator op = operator(c, prefix, group);
    return consul(op::promote);
  }

  /** fleet status as plain data (the JSON form; the table is rendered from it). */
  public List<Map<String, Object>> status(ConsulFlags c, String prefix, Optional<String> group) {
    ConsulHttp h = http(c, Optional.empty(), Duration.ofSeconds(30));
    List<String> groups =
        group.isPresent()
            ? List.of(group.get())
            : consul(() -> FleetOperator.groups(new KvApi(h), prefix));
    List<Map<String, Object>> out = new ArrayList<>();
    for (String g : groups) {
      FleetOperator op = operator(h, prefix, g);
      FleetOperator.Status s = consul(op::status);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("group", g);
      m.put("revision", s.desired().map(Desired::revision).orElse(0L));
      m.put("pushed_at", s.desired().map(Desired::pushedAt).orElse(""));
      m.put("policy", s.desired().map(d -> d.policy().toJson()).orElse(Map.of()));
      m.put("overlay", s.desired().map(Desired::overlay).orElse(""));
      m.put("paused", s.control().paused());
      m.put("promoted", s.control().promoted());
      m.put(
          "halted",
          s.control()
              .halted()
              .map(
                  halt -> {
                    Map<String, Object> x = new LinkedHashMap<>();
                    x.put("revision", halt.revision());
                    x.put("node", halt.node());
                    x.put("message", halt.message());
                    x.put("at", halt.at());
                    return (Object) x;
                  })
              .orElse(null));
      m.put("slots_held", s.slotsHeld());
      List<Object> nodes = new ArrayList<>();
      for (NodeReport r : s.nodes()) {
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("node", r.node());
        n.put("revision", r.revision());
        n.put("state", r.state().wire());
        n.put("since", r.since());
        n.put("message", r.message());
        n.put("healthy_revision", r.healthyRevision());
        nodes.add(n);
      }
      m.put("nodes", nodes);
      out.add(m);
    }
    return out;
  }

  /** The table a person reads at a glance. */
  @SuppressWarnings("unchecked")
  public static String table(List<Map<String, Object>> groups) {
    StringBuilder b = new StringBuilder();
    for (Map<String, Object> g : groups) {
      b.append("group ").append(g.get("group")).append(": revision ").append(g.get("revision"));
      if (Boolean.TRUE.equals(g.get("paused"))) b.append(", PAUSED");
      if (g.get("halted") instanceof Map<?, ?> h)
        b.append(", HALTED at revision ")
            .append(h.get("revision"))
            .append(" (failed on ")
            .append(h.get("node"))
            .append(": ")
            .append(h.get("message"))
            .append(")");
      b.append(", slots held ").append(g.get("slots_held")).append('\n');
      List<Map<String, Object>> nodes = (List<Map<String, Object>>) g.get("nodes");
      b.append(
          String.format(
              "  %-24s %-8s %-9s %-25s %s%n", "NODE", "REVISION", "STATE", "SINCE", "MESSAGE"));
      for (Map<String, Object> n : nodes)
        b.append(
            String.format(
                "  %-24s %-8s %-9s %-25s %s%n",
                n.get("node"),
                n.get("revision"),
                n.get("state"),
                n.get("since"),
                oneLine(String.valueOf(n.get("message")))));
      if (nodes.isEmpty()) b.append("  (no node has reported)\n");
    }
    if (groups.isEmpty()) b.append("no fleet groups\n");
    return b.toString();
  }

  private static String oneLine(String s) {
    String t = s.replaceAll("[\\p{Cntrl}]", " ");
    return t.length() > 120 ? t.substring(0, 120) + "…" : t;
  }

  /** Watch options: the node name (default: the config's node_name, else the host name). */
  public record WatchOptions(
      Optional<String> node, long rounds, Duration blockWait, Duration slotTtl) {}

  /** consul-vm-agent watch: runs until stopped (or rounds reads). */
  public void watch(Host host, RunOptions o, ConsulFlags c, WatchOptions w)
      throws InterruptedException {
    Agent agent = new Agent(host, ConsulAccess.NONE, events);
    AgentSpec spec = agent.load(o);
    FleetSpec f =
        spec.fleet()
            .orElseThrow(
                () -> new SpecException("fleet", "is not set: this VM is in no rollout group"));
    String node = w.node().or(() -> spec.consul().nodeName()).orElseGet(Fleet::hostname);
    if (!FleetKeys.isNodeName(node))
      throw new SpecException("node", "is not usable as a KV key segment: " + node);
    ConsulFlags conn = c;
    if (c.tokenFile().isEmpty() && c.token().isEmpty()) {
      // fleet.token_file overrides; else a secure client's login token (apply's cluster step)
      Optional<String> file = f.tokenFile().map(Path::toString);
      if (file.isEmpty() && SecureMesh.usesFleetLogin(spec)) {
        awaitLoginToken(host);
        file = Optional.of(ClientMesh.fleetTokenFile());
      }
      if (file.isPresent())
        conn =
            new ConsulFlags(
                c.httpAddr(),
                Optional.empty(),
                file,
                c.caFile(),
                c.caPath(),
                c.clientCert(),
                c.clientKey(),
                c.tlsServerName());
    }
    ConsulHttp h =
        http(
            conn,
            Optional.of(ConsulConfig.httpAddr(spec.consul(), spec.security())),
            Duration.ofSeconds(30));
    KvApi kv = new KvApi(h);
    FleetKeys keys = new FleetKeys(f.kvPrefix(), f.group());
    Watcher watcher =
        new Watcher(
            node,
            new ConsulGroupStore(kv, keys),
            new ConsulSemaphore(
                kv,
                new SessionApi(h),
                keys.lock(),
                "consul-vm-agent " + node,
                w.slotTtl(),
                events::info),
            new FleetConverger(agent, o, new HealthApi(h), node),
            new FleetState(host.fs()),
            () -> Agent.configBytes(o, host),
            Clock.SYSTEM,
            events::info,
            new Watcher.Settings(w.blockWait(), Duration.ofSeconds(30), Duration.ofSeconds(1)));
    events.info("fleet: watching group " + f.group() + " as node " + node);
    watcher.run(BlockingIndex.standard(), w.rounds());
  }

  /**
   * A secure client's watcher token is made by apply's cluster step, after the host pass has
   * started this unit: until the file is there, wait (no Consul call without it would be allowed).
   * The token is read once at start; if the servers lose it, apply logs in again and {@code
   * systemctl restart consul-vm-agent-watch} picks the new one up (apply does not restart the
   * watcher: it may be in the middle of a rollout).
   */
  private void awaitLoginToken(Host host) throws InterruptedException {
    String path = ClientMesh.fleetTokenFile();
    boolean said = false;
    while (host.fs().readIfExists(path).map(b -> b.length == 0).orElse(true)) {
      if (!said)
        events.info(
            "fleet: waiting for the watcher's token "
                + path
                + " (consul-vm-agent apply logs in with the intro JWT)");
      said = true;
      Thread.sleep(2000);
    }
  }

  /** Consul's default node name is the host name (/etc/hostname, first line). */
  private static String hostname() {
    try {
      String h =
          new String(
                  SpecLoader.readInput(Path.of("/etc/hostname"), 1024, "hostname", ""),
                  StandardCharsets.UTF_8)
              .strip();
      int nl = h.indexOf('\n');
      return nl < 0 ? h : h.substring(0, nl);
    } catch (SpecException e) {
      return "localhost";
    }
  }
}
