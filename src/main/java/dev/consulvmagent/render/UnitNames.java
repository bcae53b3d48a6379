package dev.consulvmagent.render;

import dev.consulvmagent.engine.Notification;
import java.util.List;

/**
 * The one place that names our systemd units: Consul's, and the Envoy sidecar's template
 * envoy@.service and its instance envoy@SERVICE.service (systemd.unit(5): "foo@bar.service" is an
 * instance of the template "foo@.service", the instance name being %i).
 */
public final class UnitNames {
  /** The Consul agent's unit. */
  public static final String CONSUL = "consul.service";

  /** The template unit file's name. */
  public static final String ENVOY_TEMPLATE = "envoy@.service";

  /** A glob matching every Envoy instance (for systemctl). */
  public static final String ENVOY_ALL = "envoy@*.service";

  private static final String ENVOY_PREFIX = "envoy@";

  /** The DNS redirection's oneshot (module/DnsModule). */
  public static final String DNS_REDIRECT = "consul-dns-redirect.service";

  /** The fleet watcher's unit (module/FleetModule). */
  public static final String FLEET_WATCH = "consul-vm-agent-watch.service";

  /**
   * The units whose journal the agent may copy into an error (systemd/SystemdNotifier): Consul's
   * and our own, whose output we know holds no secret. Exact names: an application may be called
   * consul-template or consul-exporter (Validators.appName reserves only our own names), and an
   * application's unit may log anything.
   */
  public static boolean journalIsOurs(String unit) {
    return unit.equals(CONSUL) || unit.equals(DNS_REDIRECT) || unit.equals(FLEET_WATCH);
  }

  private UnitNames() {}

  /** The Envoy unit of one mesh service. */
  public static String envoy(String service) {
    return ENVOY_PREFIX + service + ".service";
  }

  /** Whether a unit (file) name is an Envoy instance or the template. */
  public static boolean isEnvoy(String unit) {
    return unit.startsWith(ENVOY_PREFIX);
  }

  /**
   * Consul's config-only change: `consul reload` (re-reads the config dir while the agent runs;
   * developer.hashicorp.com/consul/commands/reload); a (re)start of consul.service covers it.
   */
  public static Notification consulReload() {
    return Notification.reload(CONSUL, List.of("/usr/bin/consul", "reload"));
  }
}
