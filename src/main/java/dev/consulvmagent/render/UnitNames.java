package dev.consulvmagent.render;

/**
 * The one place that names the Envoy sidecar's systemd units: the template envoy@.service and its
 * instance envoy@SERVICE.service (systemd.unit(5): "foo@bar.service" is an instance of the template
 * "foo@.service", the instance name being %i).
 */
public final class UnitNames {
  /** The template unit file's name. */
  public static final String ENVOY_TEMPLATE = "envoy@.service";

  /** A glob matching every Envoy instance (for systemctl). */
  public static final String ENVOY_ALL = "envoy@*.service";

  private static final String ENVOY_PREFIX = "envoy@";

  private UnitNames() {}

  /** The Envoy unit of one mesh service. */
  public static String envoy(String service) {
    return ENVOY_PREFIX + service + ".service";
  }

  /** Whether a unit (file) name is an Envoy instance or the template. */
  public static boolean isEnvoy(String unit) {
    return unit.startsWith(ENVOY_PREFIX);
  }
}
