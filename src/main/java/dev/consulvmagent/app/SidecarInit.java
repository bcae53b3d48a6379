package dev.consulvmagent.app;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Planned;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.secure.ClientMesh;
import dev.consulvmagent.sidecar.Installed;
import dev.consulvmagent.sidecar.Registration;
import dev.consulvmagent.sidecar.SeedDryRun;
import dev.consulvmagent.sidecar.SidecarFiles;
import dev.consulvmagent.spec.ConsulVersions;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.systemd.SystemdNotifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * sidecar-init (the seed's generate-sidecar-configs.py) on one host: reading the service config,
 * the Consul version the registration is rendered for, what --dry prints, and the run itself — the
 * registration and Envoy settings written, Consul reloaded when they changed, Envoy started.
 */
public final class SidecarInit {
  /** As long as the reload step waits for a just-started Consul (ConsulReadyNotifier). */
  private static final Duration BOOT_WAIT = Duration.ofSeconds(90);

  private final Host host;
  private final ConsulAccess consul;
  private final EventSink events;
  private ConsulEndpoint endpoint;

  /**
   * host: the machine written (the running system, or a --root tree that is never started); consul:
   * the command's --http-addr and Consul's environment variables.
   */
  public SidecarInit(Host host, ConsulAccess consul, EventSink events) {
    this.host = host;
    this.consul = consul;
    this.events = events;
  }

  /**
   * The one endpoint of this run, worked out once: the flags and environment, else the address
   * apply derived from the agent config (the Envoy env file's CONSUL_HTTP_ADDR), else the local
   * default; the token, when neither gives one, is the agent's default token (secrets.json).
   */
  ConsulEndpoint endpoint(String service) {
    if (endpoint == null) {
      ConsulEndpoint e = consul.resolve(Installed.read(host.fs(), service).consulHttpAddr());
      endpoint = ConsulAccess.withDefaultToken(e, Installed.token(host.fs()));
    }
    return endpoint;
  }

  /** What apply wrote for the agent's address (the files sidecar-init writes keep it). */
  private ConsulEndpoint configured(String service) {
    return ConsulEndpoint.of(
        Installed.read(host.fs(), service).consulHttpAddr().orElse(ConsulEndpoint.LOCAL.display()));
  }

  /** The service config: the default path under the host's root, any other file name as given. */
  public ServiceConfig read(String filename) {
    Path file =
        filename.equals(SidecarFiles.SERVICE_CONFIG)
            ? host.fs().resolve(filename)
            : Path.of(filename);
    return SidecarFiles.readServiceConfig(file);
  }

  /** The admin port already configured for this service (apply may have chosen one), else 19000. */
  public int adminPort(String service) {
    return Installed.read(host.fs(), service).adminPort();
  }

  /**
   * The running agent's version (at boot, once consul.service is up: it was just started), else
   * apply's, else the default; a progress line says which. The agent is asked with --http-addr, and
   * without it only on the live system (at {@link #endpoint}).
   */
  public String consulVersion(boolean dry, String service) {
    SidecarVersion v = version(dry, service);
    events.info(v.describe());
    return v.version();
  }

  private SidecarVersion version(boolean dry, String service) {
    boolean live = host.live();
    Optional<ConsulEndpoint> at =
        consul.httpAddrGiven() || live ? Optional.of(endpoint(service)) : Optional.empty();
    boolean starting = !dry && live && new SystemdNotifier(host).isActive("consul.service");
    return SidecarVersion.resolve(at, starting ? BOOT_WAIT : Duration.ZERO, events, host, service);
  }

  /**
   * What --dry --type prints: the seed's fragment, or with full the command line (redirect,
   * connect-envoy) or systemctl call (envoy) this agent runs, or the registration document.
   */
  public String dry(String type, boolean full, ServiceConfig cfg, int admin, String version) {
    MeshService m = cfg.mesh();
    if (!full) return SeedDryRun.print(type, cfg.raw(), m, version);
    String nl = System.lineSeparator();
    return switch (type) {
      case "redirect" ->
          String.join(" ", Registration.redirectArgs(m, host.users().uid("envoy").orElse(101)))
              + nl;
      case "connect-envoy" ->
          "consul "
              + String.join(" ", Registration.connectEnvoyArgs(m, "127.0.0.1:" + admin, version))
              + nl;
      case "envoy" ->
          String.join(" ", List.of("systemctl", "enable", "--now", UnitNames.envoy(m.name()))) + nl;
      default -> new String(Json.render(Registration.document(m, version)), StandardCharsets.UTF_8);
    };
  }

  /**
   * How long sidecar-init waits for a run that holds the lock: on a baked image's first boot the
   * instance apply holds it through the secure mesh's cluster step (which waits for a leader) and
   * its second host pass. A oneshot has no start time-out by default (systemd.service(5)).
   */
  static final Duration LOCK_WAIT = Duration.ofMinutes(5);

  /**
   * sidecar-init itself: under the run lock, what apply wrote is read (the admin port unless given,
   * the Consul version it rendered for, the service token) and then the registration and Envoy's
   * settings are written. Read before the lock, a run that was still writing them was undone (seen
   * on a secure image's first boot: sidecar-init, started with Consul, read no token and no version
   * while the instance apply held the lock, then rewrote the registration without the token and for
   * the default Consul version).
   */
  public RunResult run(ServiceConfig cfg, Optional<Integer> adminPortGiven) {
    String name = cfg.mesh().name();
    // a service this Consul cannot run is refused before anything is touched, the lock included
    ConsulVersions.requireMesh(version(false, name).version(), cfg.mesh(), "service");
    try (RunLock lock = RunLock.acquire(host, LOCK_WAIT)) {
      return held(cfg, adminPortGiven.orElseGet(() -> adminPort(name)), consulVersion(false, name));
    }
  }

  /**
   * Writes the registration and Envoy settings for Consul consulVersion ({@link SidecarVersion}),
   * reloads Consul when they changed, starts Envoy (on the live system). The command uses {@link
   * #run(ServiceConfig, Optional)}; this form, with the version given, is the tests'.
   */
  RunResult run(ServiceConfig cfg, int adminPort, String consulVersion) {
    try (RunLock lock = RunLock.acquire(host, LOCK_WAIT)) {
      return held(cfg, adminPort, consulVersion);
    }
  }

  /** {@link #run(ServiceConfig, int, String)} with the run lock held. */
  private RunResult held(ServiceConfig cfg, int adminPort, String consulVersion) {
    Instant start = Instant.now();
    MeshService mesh = cfg.mesh();
    List<Resource> resources =
        SidecarFiles.resources(
            mesh,
            adminPort,
            Installed.token(host.fs()),
            // the secure mesh's service token, as apply keeps it (same bytes as apply renders)
            ClientMesh.storedToken(host, mesh.name()),
            Installed.read(host.fs(), mesh.name()).dnsRedirect(),
            consulVersion,
            configured(mesh.name()));
    Engine engine = new Engine(events);
    List<Planned> plan = engine.plan(resources, host);
    SystemdNotifier systemd = new SystemdNotifier(host);
    // at boot consul.service (Type=exec) may not answer yet: the reload waits for its HTTP API
    RunResult r =
        engine.apply(
            plan,
            host,
            ConsulReadyNotifier.live(systemd, host.live(), endpoint(mesh.name()), events),
            start);
    OwnershipLedger.update(host.fs(), r.created(), r.removed());
    if (!r.failed() && mesh.connect()) {
      String unit = UnitNames.envoy(mesh.name());
      List<String> actions = new ArrayList<>(r.actions());
      actions.addAll(systemd.run(List.of(Notification.start(unit))));
      return new RunResult(r.mode(), r.start(), Instant.now(), r.outcomes(), actions, false, null);
    }
    return r;
  }
}
