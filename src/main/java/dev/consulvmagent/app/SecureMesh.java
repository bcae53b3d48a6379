package dev.consulvmagent.app;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.AgentApi;
import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulException;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.IntentionApi;
import dev.consulvmagent.consul.PostureApi;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Outcome;
import dev.consulvmagent.engine.Planned;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.fleet.FleetKeys;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.ConsulConfig;
import dev.consulvmagent.secure.ClientMesh;
import dev.consulvmagent.secure.ClientSecurity;
import dev.consulvmagent.secure.SecurityPosture;
import dev.consulvmagent.secure.ServerBootstrap;
import dev.consulvmagent.secure.ServerSecurity;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.ConsulSpec;
import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.spec.SecuritySpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * apply's cluster step, after the host pass has started Consul: a server keeps its ACL objects
 * (secure.ServerBootstrap), a client logs its service in and keeps its intentions
 * (secure.ClientMesh). They are engine resources like the rest, so plan lists them (unknown while
 * Consul is not up yet) and apply converges them once the agent answers; a run whose cluster step
 * made the service token runs the host pass once more, which registers the service and starts Envoy
 * with that token.
 */
final class SecureMesh {
  /**
   * A server elects itself in 6–10 s (real 1.8.7), but at first boot the machines download and
   * install at different speeds, and three servers need each other first.
   */
  static final Duration READY_WAIT = Duration.ofSeconds(300);

  private SecureMesh() {}

  /** The local agent's HTTP API as the secure config renders it (loopback). */
  static String httpAddr(AgentSpec spec) {
    return ConsulConfig.httpAddr(spec.consul(), spec.security());
  }

  static ConsulHttp local(AgentSpec spec, Optional<Secret> token) {
    return local(httpAddr(spec), token);
  }

  static ConsulHttp local(String addr, Optional<Secret> token) {
    ConsulEndpoint e = ConsulEndpoint.of(addr);
    return new ConsulHttp(
        new ConsulEndpoint(e.scheme(), e.address(), e.pathPrefix(), token, e.tls()),
        Duration.ofSeconds(10));
  }

  /** The node name Consul uses: consul.node_name, else the host name (as Consul defaults). */
  static String node(AgentSpec spec, Host host) {
    return spec.consul()
        .nodeName()
        .orElseGet(
            () ->
                host.fs()
                    .readIfExists("/etc/hostname")
                    .map(b -> new String(b, StandardCharsets.UTF_8).strip())
                    .orElse("localhost"));
  }

  /**
   * The services the server makes intention roles for: security.services (contract change of
   * 2026-12-07).
   */
  static List<String> intentionServices(SecuritySpec s) {
    return s.services();
  }

  /** The cluster step's resources for this machine; none when insecure or nothing to keep. */
  static List<Resource> resources(AgentSpec spec, Host host) {
    return resources(spec, host, httpAddr(spec));
  }

  /** addr: the local agent's HTTP API (tests give a loopback port of their own). */
  static List<Resource> resources(AgentSpec spec, Host host, String addr) {
    SecuritySpec s = spec.security();
    if (!s.secure()) return List.of();
    String node = node(spec, host);
    if (spec.consul().role() == ConsulSpec.Role.SERVER) {
      if (s.managementToken().isEmpty() || s.serverAgentToken().isEmpty()) return List.of();
      ServerSecurity sec =
          new ServerSecurity(
              node,
              spec.consul().datacenter(),
              s.managementToken().get(),
              s.serverAgentToken().get(),
              s.jwtPublicKey().orElse(""),
              intentionServices(s),
              s.fleetGroups().stream().map(f -> new FleetKeys(f.kvPrefix(), f.group())).toList());
      return ServerBootstrap.resources(sec, new AclApi(local(addr, s.managementToken())));
    }
    List<Resource> out = new ArrayList<>();
    if (spec.service().isPresent()) {
      ClientSecurity c =
          new ClientSecurity(
              node,
              spec.service().get().mesh().name(),
              s.introToken(),
              spec.service().get().allowFrom());
      out.addAll(
          ClientMesh.resources(
              c,
              new AclApi(local(addr, Optional.empty())),
              t -> new IntentionApi(local(addr, Optional.of(t)))));
    }
    // after the service's own objects: registration and Envoy wait on those, DNS can follow
    out.add(ClientMesh.dnsToken(node, s.introToken(), new AclApi(local(addr, Optional.empty()))));
    // the fleet watcher's token (issue 22), unless the operator gives one (fleet.token_file)
    if (usesFleetLogin(spec))
      out.add(
          ClientMesh.fleetToken(
              node,
              spec.fleet().get().group(),
              s.introToken(),
              new AclApi(local(addr, Optional.empty()))));
    return out;
  }

  /** A secure client in a fleet group without a token_file of its own: its watcher logs in. */
  static boolean usesFleetLogin(AgentSpec spec) {
    return spec.security().secure()
        && spec.consul().role() == ConsulSpec.Role.CLIENT
        && spec.fleet().isPresent()
        && spec.fleet().get().tokenFile().isEmpty();
  }

  /**
   * Waits until the agent can serve the cluster step: a leader is known, on a server the management
   * token is accepted (the leader makes it from acl.tokens.master after the election), and the
   * agent has left legacy ACL mode.
   */
  static void awaitReady(AgentSpec spec, EventSink events) {
    AclApi acl = new AclApi(local(spec, Optional.empty()));
    AgentApi agent = new AgentApi(local(spec, Optional.empty()));
    long end = System.nanoTime() + READY_WAIT.toNanos();
    String last = "";
    long leaderSince = 0;
    events.info("waiting for the Consul cluster (leader, ACLs) before the cluster step");
    while (System.nanoTime() < end) {
      try {
        boolean leader = agent.leader().isPresent();
        boolean ready = leader;
        if (ready && spec.consul().role() == ConsulSpec.Role.SERVER) {
          if (leaderSince == 0) leaderSince = System.nanoTime();
          ready = acl.tokenSelf(spec.security().managementToken().orElseThrow()).isPresent();
          // the leader makes the master token within moments; still refused after 30 s means
          // another token bootstrapped the cluster: the bootstrap check says what to do
          if (!ready && System.nanoTime() - leaderSince > Duration.ofSeconds(30).toNanos()) return;
        }
        // a client agent that joined moments ago may still be in legacy ACL mode, refusing every
        // token it resolves itself (AgentApi#resolvesTokens)
        boolean legacy = ready && !agent.resolvesTokens();
        if (ready && !legacy) return;
        last =
            !leader
                ? "no leader yet"
                : legacy ? "the agent is still in legacy ACL mode" : "ACLs not ready";
      } catch (ConsulException e) {
        last = e.getMessage();
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw new IllegalStateException(
        "the Consul cluster was not ready within "
            + READY_WAIT.toSeconds()
            + "s ("
            + last
            + "); the cluster step did not run. Check: systemctl status consul; consul members");
  }

  /** Runs the cluster step after the host pass r; returns both passes' outcomes as one result. */
  static RunResult afterHostPass(
      AgentSpec spec, Host host, RunResult r, Instant start, EventSink events) {
    List<Resource> cluster = resources(spec, host);
    if (r.failed() || cluster.isEmpty() || !host.live()) return r;
    RunResult c;
    try {
      awaitReady(spec, events);
      Engine engine = new Engine(events);
      List<Planned> plan = engine.plan(cluster, host);
      c = engine.apply(plan, host, n -> List.of(), start);
    } catch (RuntimeException e) {
      c = new RunResult("apply", start, Instant.now(), List.of(), List.of(), true, e.getMessage());
    }
    return merge(r, c);
  }

  static RunResult merge(RunResult a, RunResult b) {
    List<Outcome> outcomes = new ArrayList<>(a.outcomes());
    outcomes.addAll(b.outcomes());
    List<String> actions = new ArrayList<>(a.actions());
    actions.addAll(b.actions());
    List<String> created = new ArrayList<>(a.created());
    created.addAll(b.created());
    List<String> removed = new ArrayList<>(a.removed());
    removed.addAll(b.removed());
    String error =
        a.error() == null
            ? b.error()
            : b.error() == null ? a.error() : a.error() + "; " + b.error();
    return new RunResult(
        a.mode(),
        a.start(),
        b.end(),
        outcomes,
        actions,
        a.failed() || b.failed(),
        error,
        created,
        removed);
  }

  /**
   * Whether the cluster step made a (new) service token or DNS token: the host pass must run again
   * (registration and Envoy with the service token; the agent's default token in its secrets file).
   */
  static boolean madeServiceToken(RunResult clusterStep) {
    return clusterStep.outcomes().stream()
        .anyMatch(
            o ->
                o.status() == Outcome.Status.CHANGED
                    && (o.key().startsWith("consul:acl-token/service/")
                        || o.key().equals("consul:" + ClientMesh.dnsTokenKey())));
  }

  /** status: the posture items as Doctor's checks (one call from Doctor). */
  static List<Doctor.Check> posture(AgentSpec spec, Host host) {
    SecuritySpec s = spec.security();
    if (!s.secure())
      return List.of(
          new Doctor.Check(
              "security", Doctor.Verdict.WARN, SecuritySpec.INSECURE_WARNING, "mesh user-data"));
    boolean server = spec.consul().role() == ConsulSpec.Role.SERVER;
    SecurityPosture.Inputs in =
        new SecurityPosture.Inputs(
            server,
            node(spec, host),
            server ? s.managementToken() : Optional.empty(),
            server ? s.serverAgentToken() : Optional.empty(),
            spec.service().map(x -> x.mesh().name()),
            spec.service().map(x -> x.allowFrom()).orElse(List.of()),
            ConsulConfig.AUTO_CONFIG_STATE,
            "/etc/consul.d/consul.json");
    List<Doctor.Check> out = new ArrayList<>();
    for (SecurityPosture.Item i :
        SecurityPosture.check(
            in,
            host,
            new AclApi(local(spec, Optional.empty())),
            new PostureApi(local(spec, Optional.empty())),
            t -> new IntentionApi(local(spec, Optional.of(t))))) {
      out.add(
          new Doctor.Check(
              i.name(), Doctor.Verdict.valueOf(i.level().name()), i.detail(), i.hint()));
    }
    if (usesFleetLogin(spec)) {
      SecurityPosture.Item i =
          SecurityPosture.fleetToken(
              host, new AclApi(local(spec, Optional.empty())), spec.fleet().get().group());
      out.add(
          new Doctor.Check(
              i.name(), Doctor.Verdict.valueOf(i.level().name()), i.detail(), i.hint()));
    }
    return out;
  }
}
