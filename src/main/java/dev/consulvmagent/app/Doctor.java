package dev.consulvmagent.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.consul.AgentApi;
import dev.consulvmagent.consul.ConsulDns;
import dev.consulvmagent.consul.ConsulException;
import dev.consulvmagent.consul.ConsulPermissionDeniedException;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.iptables.DnsRedirect;
import dev.consulvmagent.iptables.RedirectConfig;
import dev.consulvmagent.iptables.RestoreScript;
import dev.consulvmagent.module.DnsModule;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.sidecar.EnvoyAdmin;
import dev.consulvmagent.sidecar.Installed;
import dev.consulvmagent.sidecar.Redirection;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.DnsSpec;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.spec.SpecException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * `status`: is this VM correctly in the mesh? Each check answers ok, warn, fail (or skip, under
 * --root or when an earlier failure makes it moot) with a one-line hint.
 */
public final class Doctor {
  public enum Verdict {
    OK,
    WARN,
    FAIL,
    SKIP
  }

  public record Check(String name, Verdict verdict, String detail, String hint) {}

  /**
   * Each probe's deadline. A healthy machine answers each in milliseconds; what does not answer in
   * time is itself the finding, and `status` on a healthy machine takes about a second, not the sum
   * of every resolver's and socket's default timeout (glibc: 5 s per nameserver, twice).
   */
  public static final Duration PROBE = Duration.ofSeconds(2);

  private final Host host;
  private AgentApi api;
  private final List<Check> checks = new ArrayList<>();
  private AgentApi.Self self;

  /** host: the machine checked (status's --root, or the running system); api: its agent. */
  public Doctor(Host host, AgentApi api) {
    this.host = host;
    this.api = api;
  }

  /** Only the checks that talk to the agent ({@link #consulChecks}). */
  public Doctor(AgentApi api) {
    this(null, api);
  }

  private void add(String name, Verdict v, String detail, String hint) {
    checks.add(new Check(name, v, detail, hint));
  }

  public List<Check> run(RunOptions o) {
    boolean live = host.live();
    AgentSpec spec = null;
    try {
      spec = new Agent(host, ConsulAccess.NONE, EventSink.NONE).loadWithSeedService(o);
      List<String> warn = SpecWarnings.of(spec); // said every time
      String detail = warn.isEmpty() ? "valid" : "valid; warning: " + String.join("; ", warn);
      add("config", Verdict.OK, detail, "");
    } catch (SpecException e) {
      add("config", Verdict.FAIL, e.getMessage(), "fix the config, then: consul-vm-agent validate");
    }
    lastRun(host);
    if (spec != null) drift(o);
    // the secure mesh's posture (secure.SecurityPosture): gossip, TLS, ACLs, tokens, intentions
    if (spec != null && live) checks.addAll(SecureMesh.posture(spec, host));
    if (!live) {
      add(
          "consul agent",
          Verdict.SKIP,
          "not checked under --root",
          "run status on the booted machine");
      return checks;
    }
    if (spec != null && spec.security().secure() && spec.service().isPresent()) {
      // ACL default deny: read the service's registration with its own login token (the file
      // Envoy's unit reads, /etc/consul.d/tokens/<service>.token), unless the environment gave one
      api =
          api.withTokenIfNone(
              host.fs()
                  .readIfExists(
                      "/etc/consul.d/tokens/" + spec.service().get().mesh().name() + ".token")
                  .map(b -> new String(b, StandardCharsets.UTF_8).strip())
                  .filter(t -> !t.isEmpty())
                  .map(Secret::new));
    }
    if (!consul()) return checks;
    Optional<MeshService> mesh =
        spec == null ? Optional.empty() : spec.service().map(s -> s.mesh());
    if (mesh.isEmpty()) {
      add("service", Verdict.SKIP, "no service configured on this machine", "");
      return checks;
    }
    MeshService m = mesh.get();
    registration(m);
    envoy(host, m, spec.envoy().adminPort());
    rules(host, m);
    DnsSpec.Mode dnsMode = DnsModule.effective(spec.dns().mode(), host);
    checks.add(
        dnsCheck(
            consulDnsAddress(self),
            withDeadline(ConsulDns.system(), PROBE),
            dnsMode,
            host.fs().exists(RESOLVED_STUB),
            nameservers(host),
            m.name()));
    return checks;
  }

  /** The checks that talk to the Consul agent only (what status shows about Consul). */
  public List<Check> consulChecks(Optional<MeshService> mesh) {
    if (consul() && mesh.isPresent()) registration(mesh.get());
    return checks;
  }

  /** Compares our chains in the host's nat table with what `want` needs, rule by rule. */
  public static List<String> ruleDrift(RedirectConfig want, String natSave) {
    return RuleDrift.compare(RestoreScript.apply(want, natSave), natSave);
  }

  private static String orUnknown(String v) {
    return v.isEmpty() ? "?" : v;
  }

  private void lastRun(Host host) {
    Optional<byte[]> b = host.fs().readIfExists(ResultFile.PATH);
    if (b.isEmpty()) {
      add("last run", Verdict.WARN, "the agent has not run here yet", "consul-vm-agent apply");
      return;
    }
    try {
      JsonNode r = Json.tree(b.get());
      int code = r.path("exit_code").asInt(-1);
      String when = r.path("end").asText();
      if (code == 0)
        add(
            "last run",
            Verdict.OK,
            "apply succeeded at " + when + ", " + r.path("changed").asInt() + " change(s)",
            "");
      else
        add(
            "last run",
            Verdict.FAIL,
            "apply failed at " + when + ": " + r.path("error").asText(),
            "see " + ResultFile.PATH + ", then apply again");
    } catch (IOException e) {
      add("last run", Verdict.WARN, ResultFile.PATH + " is unreadable", "consul-vm-agent apply");
    }
  }

  private void drift(RunOptions o) {
    try {
      RunResult plan = new Agent(host, ConsulAccess.NONE, EventSink.NONE).plan(o);
      long n = plan.pending();
      if (n == 0) add("converged", Verdict.OK, "the host matches the configuration", "");
      else
        add(
            "converged",
            Verdict.WARN,
            n + " resource(s) differ from the configuration",
            "consul-vm-agent plan; then apply");
    } catch (RuntimeException e) {
      add("converged", Verdict.WARN, "could not plan: " + e.getMessage(), "consul-vm-agent plan");
    }
  }

  private boolean consul() {
    AgentApi.Self self;
    try {
      self = api.self();
    } catch (ConsulPermissionDeniedException e) {
      return consulUnderAclDeny();
    } catch (ConsulException e) {
      add(
          "consul agent",
          Verdict.FAIL,
          e.getMessage(),
          "systemctl status consul; journalctl -u consul");
      return false;
    }
    this.self = self;
    add(
        "consul agent",
        Verdict.OK,
        "Consul " + orUnknown(self.version()) + ", datacenter " + orUnknown(self.datacenter()),
        "");
    Optional<String> leader = api.leader();
    if (noLeader(leader)) return false;
    int count = 0;
    try {
      count = api.members().size();
    } catch (ConsulException ignored) {
      // leave 0: the count is a detail (node:read may be missing)
    }
    add(
        "cluster",
        Verdict.OK,
        "leader " + leader.get() + (count > 0 ? ", " + count + " member(s)" : ""),
        "");
    return true;
  }

  /**
   * ACL default deny: /v1/agent/self needs agent:read, which none of a secure machine's own tokens
   * has (a client's service token has a service identity; seen against the real 1.8.7 in
   * scripts/e2e real-consul). The agent answered, so it runs; the cluster check uses
   * /v1/status/leader, which needs no ACL.
   */
  private boolean consulUnderAclDeny() {
    add(
        "consul agent",
        Verdict.OK,
        "running (its version and datacenter need agent:read, which this token lacks under ACL"
            + " default deny)",
        "");
    Optional<String> leader = api.leader();
    if (noLeader(leader)) return false;
    add("cluster", Verdict.OK, "leader " + leader.get(), "");
    return true;
  }

  /** Adds the failed cluster check when no leader is known. */
  private boolean noLeader(Optional<String> leader) {
    if (leader.isPresent()) return false;
    add(
        "cluster",
        Verdict.FAIL,
        "no leader known: the agent has not joined a server",
        "check consul.retry_join and that the servers run; consul members");
    return true;
  }

  private void registration(MeshService m) {
    Map<String, AgentApi.Service> services = api.services();
    boolean svc = services.containsKey(m.name());
    boolean sidecar = services.containsKey(m.sidecarId());
    if (!svc || !sidecar) {
      add(
          "registration",
          Verdict.FAIL,
          (svc ? "" : m.name() + " ") + (sidecar ? "" : m.sidecarId() + " ") + "not registered",
          "systemctl status consul-sidecar-init; consul reload;"
              + " with ACLs the token needs service:read (else the list is empty)");
      return;
    }
    add("registration", Verdict.OK, m.name() + " and " + m.sidecarId() + " registered", "");
    List<String> critical = new ArrayList<>();
    List<String> warning = new ArrayList<>();
    for (AgentApi.Check c : api.checks().values()) {
      String sid = c.serviceId();
      if (!sid.equals(m.name()) && !sid.equals(m.sidecarId())) continue;
      String line = c.name() + ": " + c.output().strip();
      switch (c.status()) {
        case "critical" -> critical.add(line);
        case "warning" -> warning.add(line);
        default -> {}
      }
    }
    if (!critical.isEmpty())
      add(
          "health checks",
          Verdict.FAIL,
          String.join("; ", critical),
          "is the app or Envoy listening? systemctl status envoy@" + m.name());
    else if (!warning.isEmpty()) add("health checks", Verdict.WARN, String.join("; ", warning), "");
    else add("health checks", Verdict.OK, "passing", "");
  }

  private void envoy(Host host, MeshService m, int adminPort) {
    String unit = UnitNames.envoy(m.name());
    boolean active = host.run(List.of("systemctl", "is-active", "--quiet", unit), PROBE).ok();
    if (!active) {
      add(
          "envoy",
          Verdict.FAIL,
          unit + " is not running",
          "systemctl status " + unit + "; journalctl -u " + unit);
      return;
    }
    String version = host.run(List.of("envoy", "--version"), PROBE).stdout().strip();
    boolean ready = EnvoyAdmin.onLoopback(adminPort, PROBE).ready();
    add(
        "envoy",
        ready ? Verdict.OK : Verdict.FAIL,
        unit
            + " running"
            + (version.isEmpty() ? "" : ", " + version)
            + (ready ? ", ready" : ", admin /ready not answering"),
        ready ? "" : "journalctl -u " + unit);
  }

  private void rules(Host host, MeshService m) {
    if (!m.transparentProxy()) {
      add("traffic rules", Verdict.SKIP, "transparent proxy is off", "");
      return;
    }
    String save = host.run(List.of("iptables-save", "-t", "nat"), PROBE.multipliedBy(2)).stdout();
    RedirectConfig want;
    try {
      want =
          Redirection.forService(
              host, m, api, true, Installed.read(host.fs(), m.name()).dnsRedirect());
    } catch (RuntimeException e) {
      add("traffic rules", Verdict.WARN, "cannot compute the wanted rules: " + e.getMessage(), "");
      return;
    }
    List<String> drift = RuleDrift.compare(RestoreScript.apply(want, save), save);
    if (drift.isEmpty()) add("traffic rules", Verdict.OK, "our chains match the configuration", "");
    else
      add(
          "traffic rules",
          Verdict.FAIL,
          String.join("; ", drift),
          "systemctl restart envoy@" + m.name() + " (re-applies them atomically)");
  }

  static final String DNS_NAME = "consul.service.consul";

  /** Exists only while systemd-resolved runs (systemd-resolved.service(8), "/etc/resolv.conf"). */
  static final String RESOLVED_STUB = "/run/systemd/resolve/stub-resolv.conf";

  /**
   * Where the agent serves DNS: the udp entry of /v1/agent/self's DebugConfig.DNSAddrs (recorded
   * from Consul 1.8.7: {@code ["tcp://127.0.0.1:8600", "udp://127.0.0.1:8600"]}; empty when
   * ports.dns is -1); 127.0.0.1:8600, Consul's default, when the answer does not say.
   */
  public static Optional<InetSocketAddress> consulDnsAddress(AgentApi.Self self) {
    Optional<List<String>> addrs = self == null ? Optional.empty() : self.dnsAddrs();
    if (addrs.isEmpty()) {
      return Optional.of(new InetSocketAddress("127.0.0.1", 8600));
    }
    for (String v : addrs.get()) {
      if (!v.startsWith("udp://")) continue;
      String hp = v.substring("udp://".length());
      int colon = hp.lastIndexOf(':');
      try {
        String h = hp.substring(0, colon);
        // a wildcard listener is reached on loopback
        if (h.equals("0.0.0.0") || h.equals("[::]")) h = "127.0.0.1";
        return Optional.of(new InetSocketAddress(h, Integer.parseInt(hp.substring(colon + 1))));
      } catch (RuntimeException e) {
        return Optional.of(new InetSocketAddress("127.0.0.1", 8600));
      }
    }
    return Optional.empty();
  }

  private static List<String> nameservers(Host host) {
    List<String> out = new ArrayList<>();
    host.fs()
        .readIfExists("/etc/resolv.conf")
        .ifPresent(
            b -> {
              for (String line : new String(b, StandardCharsets.UTF_8).split("\n")) {
                String[] w = line.trim().split("\\s+");
                if (w.length >= 2 && w[0].equals("nameserver")) out.add(w[1]);
              }
            });
    return out;
  }

  /**
   * The dns check, in two steps: does Consul's own DNS answer consul.service.consul (asked
   * directly), and does the machine's resolver reach it? The hint fits what this machine uses:
   * resolvectl only where systemd-resolved runs, resolv.conf and the redirect rules elsewhere.
   */
  public static Check dnsCheck(
      Optional<InetSocketAddress> consulDns,
      ConsulDns.Lookup system,
      DnsSpec.Mode mode,
      boolean resolvedRunning,
      List<String> nameservers,
      String service) {
    if (consulDns.isEmpty()) {
      return new Check(
          "dns",
          Verdict.WARN,
          "Consul's DNS interface is off (ports.dns is -1)",
          "enable ports.dns in the Consul configuration; *.consul names cannot resolve without it");
    }
    InetSocketAddress at = consulDns.get();
    String where = at.getHostString() + ":" + at.getPort();
    String direct;
    try {
      direct = ConsulDns.at(at, PROBE).resolve(DNS_NAME);
    } catch (IOException e) {
      return new Check(
          "dns",
          Verdict.FAIL,
          "Consul DNS at " + where + " does not answer " + DNS_NAME + ": " + e.getMessage(),
          "journalctl -u consul; consul members (a server must be alive for " + DNS_NAME + ")");
    }
    try {
      String a = system.resolve(DNS_NAME);
      return new Check("dns", Verdict.OK, DNS_NAME + " → " + a, "");
    } catch (IOException e) {
      String answers = "Consul DNS at " + where + " answers " + DNS_NAME + " → " + direct;
      String detail = answers + ", but this machine's resolver does not";
      String ns =
          nameservers.isEmpty() ? "no nameserver" : "nameserver " + String.join(", ", nameservers);
      return switch (mode) {
        case NONE ->
            new Check(
                "dns",
                Verdict.OK,
                answers + " (dns.mode none: the system resolver is left alone)",
                "");
        case RESOLVED ->
            resolvedRunning
                ? new Check(
                    "dns",
                    Verdict.WARN,
                    detail,
                    "resolvectl status; resolvectl query "
                        + DNS_NAME
                        + "; /etc/resolv.conf must be systemd-resolved's stub (it has "
                        + ns
                        + ")")
                : new Check(
                    "dns",
                    Verdict.WARN,
                    detail + " (dns.mode resolved, but systemd-resolved is not running)",
                    "systemctl status systemd-resolved; or set dns.mode: iptables");
        default ->
            new Check(
                "dns",
                Verdict.WARN,
                detail + " (no systemd-resolved here: dns.mode iptables)",
                "/etc/resolv.conf has "
                    + ns
                    + "; the DNS redirect ("
                    + DnsModule.REDIRECT_UNIT
                    + ", chain "
                    + DnsRedirect.CHAIN
                    + ") only turns 127.0.0.1:53 into "
                    + where
                    + ", so it must name 127.0.0.1 first; see systemctl status "
                    + DnsModule.REDIRECT_UNIT
                    + "; iptables -t nat -S "
                    + DnsRedirect.CHAIN);
      };
    }
  }

  /**
   * A lookup that gives up after {@code deadline}: the system resolver (InetAddress) has no timeout
   * of its own, and one unreachable nameserver in resolv.conf holds it for 10 s and more. The
   * abandoned lookup finishes on a daemon thread and is ignored.
   */
  public static ConsulDns.Lookup withDeadline(ConsulDns.Lookup lookup, Duration deadline) {
    return name -> {
      FutureTask<String> task = new FutureTask<>(() -> lookup.resolve(name));
      Thread t = new Thread(task, "doctor-lookup");
      t.setDaemon(true);
      t.start();
      try {
        return task.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new IOException("no answer within " + deadline.toMillis() / 1000.0 + " s");
      } catch (ExecutionException e) {
        if (e.getCause() instanceof IOException io) throw io;
        throw new IOException(String.valueOf(e.getCause()), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    };
  }

  public static int exitCode(List<Check> checks) {
    return checks.stream().anyMatch(c -> c.verdict() == Verdict.FAIL || c.verdict() == Verdict.WARN)
        ? 1
        : 0;
  }

  public static Map<String, Object> toJson(List<Check> checks) {
    List<Object> out = new ArrayList<>();
    for (Check c : checks) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("check", c.name());
      m.put("verdict", c.verdict().name().toLowerCase());
      m.put("detail", c.detail());
      if (!c.hint().isEmpty()) m.put("hint", c.hint());
      out.add(m);
    }
    return Map.of("healthy", exitCode(checks) == 0, "checks", out);
  }
}
