package dev.consulvmagent.app;

import dev.consulvmagent.consul.ConsulApi;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Planned;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.iptables.DefaultExclusions;
import dev.consulvmagent.iptables.Iptables;
import dev.consulvmagent.iptables.ProxyDerivation;
import dev.consulvmagent.iptables.RedirectConfig;
import dev.consulvmagent.iptables.RestoreScript;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.sidecar.SidecarFiles;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.systemd.SystemdNotifier;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The seed's sidecar-init flow and the redirect/cleanup of traffic rules. */
public final class SidecarFlow {
  private final EventSink events;

  public SidecarFlow(EventSink events) {
    this.events = events;
  }

  /** Reads a service-config file (path as seen on the host running us). */
  public static ServiceConfig readServiceConfig(Path file) {
    // a regular file only (never a FIFO or device read forever), at most 1 MiB
    byte[] bytes = SpecLoader.readInput(file, SpecLoader.MAX_BYTES, "service config", "");
    return SpecLoader.serviceConfig(bytes); // every error at once, each with its line
  }

  /** The admin port already configured for this service (apply may have chosen one), else 19000. */
  public static int adminPort(Path root, String service) {
    String bind = envSetting(root, service, "ENVOY_ADMIN_BIND").orElse("");
    try {
      return Integer.parseInt(bind.substring(bind.lastIndexOf(':') + 1).trim());
    } catch (NumberFormatException e) {
      return 19000;
    }
  }

  /** Whether apply chose the DNS redirect for this service's rules (kept by sidecar-init). */
  public static boolean dnsRedirect(Path root, String service) {
    return envSetting(root, service, "REDIRECT_FLAGS").orElse("").contains("--dns-redirect");
  }

  static Optional<String> envSetting(Path root, String service, String key) {
    return Hosts.forRoot(root, false)
        .fs()
        .readIfExists(SidecarFiles.envFile(service))
        .flatMap(
            b -> {
              for (String line :
                  new String(b, java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith(key + "="))
                  return Optional.of(line.substring(key.length() + 1));
              }
              return Optional.empty();
            });
  }

  static Optional<String> token(Host host) {
    return host.fs()
        .readIfExists("/etc/consul.d/secrets.json")
        .flatMap(
            b -> {
              try {
                return Optional.ofNullable(
                    Json.mapper()
                        .readTree(b)
                        .path("acl")
                        .path("tokens")
                        .path("default")
                        .asText(null));
              } catch (IOException e) {
                return Optional.empty();
              }
            });
  }

  /**
   * Writes the registration and Envoy settings for Consul consulVersion ({@link SidecarVersion}),
   * reloads Consul when they changed, starts Envoy.
   */
  public RunResult init(ServiceConfig cfg, Path root, int adminPort, String consulVersion) {
    Instant start = Instant.now();
    boolean live = root.toAbsolutePath().normalize().toString().equals("/");
    Host host = Hosts.forRoot(root, live);
    MeshService mesh = cfg.mesh();
    List<Resource> resources =
        SidecarFiles.resources(
            mesh,
            adminPort,
            token(host),
            // the secure mesh's service token, as apply keeps it (same bytes as apply renders)
            dev.consulvmagent.secure.ClientMesh.storedToken(host, mesh.name()),
            dnsRedirect(root, mesh.name()),
            consulVersion);
    Engine engine = new Engine(events);
    try (RunLock lock =
        RunLock.acquire(
            new RunOptions(
                Optional.empty(), Optional.empty(), root, Optional.empty(), Optional.empty()),
            Duration.ofSeconds(30))) {
      List<Planned> plan = engine.plan(resources, host);
      SystemdNotifier systemd = new SystemdNotifier(host);
      // at boot consul.service (Type=exec) may not answer yet: the reload waits for its HTTP API
      RunResult r =
          engine.apply(
              plan,
              host,
              ConsulReadyNotifier.live(systemd, live, "http://127.0.0.1:8500", events),
              start);
      OwnershipLedger.update(host.fs(), r.created(), r.removed());
      if (!r.failed() && mesh.connect()) {
        String unit = UnitNames.envoy(mesh.name());
        List<String> actions = new ArrayList<>(r.actions());
        actions.addAll(systemd.run(List.of(Notification.start(unit))));
        return new RunResult(
            r.mode(), r.start(), Instant.now(), r.outcomes(), actions, false, null);
      }
      return r;
    }
  }

  /** The redirect configuration for a named service's sidecar, as envoy@.service applies it. */
  public RedirectConfig forService(
      Host host, ServiceConfig cfg, ConsulApi api, boolean defaults, boolean dnsRedirect) {
    MeshService m = cfg.mesh();
    int proxyUid =
        host.users()
            .uid("envoy")
            .orElseThrow(() -> new IllegalStateException("user envoy does not exist"));
    ProxyDerivation.Derived d = fetchDerived(api, m.sidecarId());
    List<Integer> extra = new ArrayList<>();
    m.metricsPort().filter(p -> !d.excludeInbound().contains(p)).ifPresent(extra::add);
    extra.addAll(m.excludeInboundPorts());
    boolean dns = m.consulDns() || dnsRedirect;
    RedirectConfig flags =
        new RedirectConfig(
            proxyUid,
            0,
            15001,
            extra,
            m.excludeOutboundPorts(),
            m.excludeOutboundCidrs(),
            m.excludeUids(),
            dns ? Optional.of("127.0.0.1") : Optional.empty(),
            dns ? 8600 : 0);
    RedirectConfig c = merge(d, flags);
    return defaults ? withDefaults(host, c) : c;
  }

  public RedirectConfig withDefaults(Host host, RedirectConfig c) {
    return DefaultExclusions.add(
        c, DefaultExclusions.sshPorts(host), host.users().uid("consul").orElse(null));
  }

  /** What `-proxy-id` reads from the proxy's registration (Consul's order). */
  static ProxyDerivation.Derived fetchDerived(ConsulApi api, String proxyId) {
    var svc =
        api.service(proxyId)
            .orElseThrow(
                () ->
                    new ConsulApi.ConsulUnreachableException(
                        "proxy " + proxyId + " is not registered with the local Consul agent"));
    var checks =
        svc.path("Proxy").path("Expose").path("Checks").asBoolean(false) ? api.checks() : null;
    return ProxyDerivation.derive(proxyId, svc, checks);
  }

  /**
   * redirect-traffic -proxy-id: ports from the registration, exclusions derived first, then the
   * flags'.
   */
  public static RedirectConfig derived(ConsulApi api, String proxyId, RedirectConfig flags) {
    return merge(fetchDerived(api, proxyId), flags);
  }

  private static RedirectConfig merge(ProxyDerivation.Derived d, RedirectConfig flags) {
    List<Integer> in = new ArrayList<>(d.excludeInbound());
    in.addAll(flags.excludeInboundPorts());
    return new RedirectConfig(
        flags.proxyUid(),
        d.inboundPort(),
        d.outboundPort(),
        in,
        flags.excludeOutboundPorts(),
        flags.excludeOutboundCidrs(),
        flags.excludeUids(),
        flags.dnsIp(),
        flags.dnsPort());
  }

  /**
   * Polls Envoy's admin /ready until it answers 200 (redirection before that blackholes traffic).
   */
  public void awaitEnvoyReady(String adminBind, Duration timeout) {
    ConsulApi admin = new ConsulApi("http://" + adminBind, Optional.empty(), Duration.ofSeconds(2));
    long deadline = System.nanoTime() + timeout.toNanos();
    events.info("waiting for Envoy to be ready at http://" + adminBind + "/ready");
    while (true) {
      try {
        if (admin.get("/ready").code() == 200) {
          events.info("Envoy is ready");
          return;
        }
      } catch (ConsulApi.ConsulUnreachableException ignored) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new ConsulApi.ConsulUnreachableException(
            "Envoy did not become ready at http://"
                + adminBind
                + "/ready within "
                + timeout.toSeconds()
                + "s; no traffic rules were installed. See: journalctl -u 'envoy@*'");
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  public static String dryRun(RedirectConfig c, Host host) {
    String save;
    try {
      save = new Iptables(host).saveNat();
    } catch (RuntimeException e) {
      save = "";
    }
    return RestoreScript.apply(c, save);
  }
}
