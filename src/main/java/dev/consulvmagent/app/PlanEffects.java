package dev.consulvmagent.app;

import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.module.DnsModule;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.systemd.SystemdNotifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What applying a plan will set in motion, in words a person reads ("Envoy for dashboard will
 * restart"), each with the command that does it: the notifications the planned changes queue, in
 * the order apply runs them (systemd/SystemdNotifier carries them out).
 */
final class PlanEffects {
  private PlanEffects() {}

  static List<String> words(List<Notification> notifications, Optional<String> appUnit, Host host) {
    boolean live = host.live();
    List<String> out = new ArrayList<>();
    for (Notification n : notifications) {
      // a oneshot that already ran does nothing on start: not an effect (SystemdNotifier skips it)
      if (live
          && n.kind() == Notification.Kind.START
          && n.target().equals(SystemdNotifier.ONESHOT_SIDECAR_INIT)
          && new SystemdNotifier(host.readOnly()).isActive(n.target())) continue;
      String line = sentence(n, appUnit);
      out.add(live ? line : "(not under --root) " + line);
    }
    return out;
  }

  static String sentence(Notification n, Optional<String> appUnit) {
    String who = who(n.target(), appUnit);
    String unit = n.target();
    return switch (n.kind()) {
      case DAEMON_RELOAD -> "systemd will re-read its unit files (systemctl daemon-reload)";
      case START ->
          unit.equals(SIDECAR_INIT)
              ? who
                  + " will run: it registers the service and starts Envoy (systemctl start "
                  + unit
                  + ")"
              : who + " will be enabled and started unless it runs (systemctl start " + unit + ")";
      case RESTART -> who + " will restart if it runs (systemctl try-restart " + unit + ")";
      case TRY_RESTART -> who + " will restart if it runs (systemctl try-restart " + unit + ")";
      case RELOAD -> who + " will re-read its configuration if it runs (" + n.describe() + ")";
      case STOP -> who + " will stop and be disabled (systemctl disable --now " + unit + ")";
    };
  }

  static final String SIDECAR_INIT = SystemdNotifier.ONESHOT_SIDECAR_INIT;

  /** A unit as a person names what it runs. */
  static String who(String unit, Optional<String> appUnit) {
    if (unit.equals(UnitNames.CONSUL)) return "Consul";
    if (UnitNames.isEnvoy(unit) && unit.endsWith(".service") && !unit.equals("envoy@.service")) {
      return "Envoy for " + unit.substring("envoy@".length(), unit.length() - ".service".length());
    }
    if (unit.equals(SIDECAR_INIT)) return "consul-sidecar-init (the sidecar's setup)";
    if (unit.equals(DnsModule.REDIRECT_UNIT)) {
      return "The DNS redirect to Consul (" + unit + ")";
    }
    if (appUnit.isPresent() && appUnit.get().equals(unit)) {
      return "The app " + unit.substring(0, unit.length() - ".service".length());
    }
    return unit;
  }
}
