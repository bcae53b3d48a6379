package dev.consulvmagent.app;

import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.sidecar.Registration;
import dev.consulvmagent.sidecar.SeedDryRun;
import dev.consulvmagent.sidecar.SidecarFiles;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.systemd.SystemdNotifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * sidecar-init's wiring (the seed's generate-sidecar-configs.py): reading the service config, the
 * Consul version the registration is rendered for, and what --dry prints. The run itself is {@link
 * SidecarFlow#init}.
 */
public final class SidecarInit {
  /** The seed's service config path (sidecar-init's -f default). */
  public static final String SERVICE_CONFIG = SidecarFiles.SERVICE_CONFIG;

  /** As long as the reload step waits for a just-started Consul (ConsulReadyNotifier). */
  private static final Duration BOOT_WAIT = Duration.ofSeconds(90);

  private SidecarInit() {}

  /** The service config: the default path under root, any other file name as given. */
  public static ServiceConfig read(String filename, Path root) {
    Path file =
        filename.equals(SERVICE_CONFIG)
            ? Hosts.forRoot(root, false).fs().resolve(filename)
            : Path.of(filename);
    return SidecarFlow.readServiceConfig(file);
  }

  /**
   * The running agent's version (at boot, once consul.service is up: it was just started), else
   * apply's, else the default; a progress line says which. httpAddr is --http-addr; without it the
   * agent is asked only on the live system ($CONSUL_HTTP_ADDR, else the local default).
   */
  public static String consulVersion(
      Optional<String> httpAddr, Path root, boolean dry, String service, EventSink events) {
    boolean live = root.toAbsolutePath().normalize().equals(Path.of("/"));
    Optional<String> at =
        httpAddr.or(
            () ->
                live
                    ? Optional.of(
                        Optional.ofNullable(System.getenv("CONSUL_HTTP_ADDR"))
                            .orElse(SidecarFiles.CONSUL_HTTP_ADDR))
                    : Optional.empty());
    boolean starting =
        !dry && live && new SystemdNotifier(Hosts.forRoot(root, true)).isActive("consul.service");
    SidecarVersion v =
        SidecarVersion.resolve(at, starting ? BOOT_WAIT : Duration.ZERO, events, root, service);
    events.info(v.describe());
    return v.version();
  }

  /**
   * What --dry --type prints: the seed's fragment, or with full the command line (redirect,
   * connect-envoy) or systemctl call (envoy) this agent runs, or the registration document.
   */
  public static String dry(
      String type, boolean full, ServiceConfig cfg, Path root, int admin, String version) {
    MeshService m = cfg.mesh();
    if (!full) return SeedDryRun.print(type, cfg.raw(), m, version);
    String nl = System.lineSeparator();
    return switch (type) {
      case "redirect" ->
          String.join(
                  " ",
                  Registration.redirectArgs(
                      m, Hosts.forRoot(root, false).users().uid("envoy").orElse(101)))
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
}
