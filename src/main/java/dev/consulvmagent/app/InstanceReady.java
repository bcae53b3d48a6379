package dev.consulvmagent.app;

import dev.consulvmagent.engine.Checkpoint;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Notifier;
import dev.consulvmagent.engine.Outcome;
import dev.consulvmagent.engine.Planned;
import dev.consulvmagent.engine.ResourceKey;
import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.UnitNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A baked image's first-boot apply (render/Units#instance: Type=notify, ordered before
 * consul.service) tells systemd it is ready as soon as everything Consul and the sidecar read is
 * written, so Consul starts while the rest (the app's unit, daemon-reload, its start, the run's
 * records) converges, instead of after all of it (~0.6 s of a client's boot, journal of an image
 * boot). And the secure mesh's cluster step, which waits for Consul's API after the host pass, no
 * longer waits for a Consul that waits for it.
 *
 * <p>The inputs: every resource whose change notifies consul.service or an envoy@ unit, everything
 * under Consul's config and data directories, its unit and drop-ins, its binary and its user, and
 * Envoy's settings, unit template and enablement, wherever they sit in the catalog. The checkpoint
 * comes after the last of them; with none, before the first resource.
 *
 * <p>There, before the signal: Envoy's queued starts (--no-block) are handed to systemd, so their
 * jobs exist before Consul's start lets consul-sidecar-init.service go (the image's envoy@ drop-in
 * orders it after them: render/Units#envoyBeforeSidecarInit; ordering binds only jobs that exist);
 * each waits for Consul (envoy@ is After=consul.service). If a unit file of Consul's or Envoy's
 * changed, systemd reloads first. When Consul is not running (at boot its start job waits for this
 * unit), its restarts and reloads this run queued are moot: it starts after the signal and reads
 * what is on disk then (at the end of the run it would be running, or starting, and be restarted or
 * reloaded for nothing). When it runs (the unit started again by hand), they stay.
 *
 * <p>The signal is {@code systemd-notify --ready}, only under a unit that set $NOTIFY_SOCKET
 * (sd_notify(3): unset, there is no one to tell). Run by the JVM, as root, it sends with the JVM's
 * PID, a member of the unit's cgroup (NotifyAccess=all), and waits until systemd has processed it
 * (systemd-notify(1), systemd 252: without --no-block, it synchronises on a barrier, so the message
 * is attributed before the sender exits). A failed signal fails the run: under Type=notify the unit
 * would otherwise wait for it until its start time-out.
 */
public final class InstanceReady implements Checkpoint {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** Prefixes of the paths Consul and Envoy read or run (ConsulModule, EnvoyModule, sidecar). */
  private static final List<String> INPUT_PATHS =
      List.of(
          "/etc/consul.d",
          "/var/lib/consul",
          "/usr/bin/consul",
          "/usr/bin/envoy",
          "/etc/consul-vm-agent/envoy",
          "/etc/systemd/system/" + UnitNames.CONSUL,
          "/etc/systemd/system/envoy@",
          "/etc/systemd/system/multi-user.target.wants/envoy@");

  private final Host host;
  private final Notifier notifier;

  private InstanceReady(Host host, Notifier notifier) {
    this.host = host;
    this.notifier = notifier;
  }

  /**
   * The checkpoint for a run under a Type=notify unit on a live host; else none. notifier: the
   * run's, for Envoy's starts.
   */
  public static Checkpoint of(Host host, Map<String, String> env, Notifier notifier) {
    String socket = env.get("NOTIFY_SOCKET");
    if (!host.live() || socket == null || socket.isEmpty()) return Checkpoint.NONE;
    return new InstanceReady(host, notifier);
  }

  @Override
  public int after(List<Planned> plan) {
    return lastInput(plan);
  }

  /** The index of the last of Consul's and Envoy's inputs this plan changes; -1: none. */
  public static int lastInput(List<Planned> plan) {
    int last = -1;
    for (int i = 0; i < plan.size(); i++) {
      Planned p = plan.get(i);
      if (p.change().actionable() && input(p)) last = i;
    }
    return last;
  }

  static boolean input(Planned p) {
    for (Notification n : p.resource().notifications(p.change()))
      if (n.target().equals(UnitNames.CONSUL) || UnitNames.isEnvoy(n.target())) return true;
    ResourceKey key = p.resource().key();
    if (key.kind() == ResourceKey.Kind.USER)
      return key.name().equals("consul") || key.name().equals("envoy");
    Optional<String> path = p.resource().path().or(() -> Optional.of(key.name()));
    return path.map(InstanceReady::inputPath).orElse(false);
  }

  static boolean inputPath(String path) {
    for (String prefix : INPUT_PATHS) {
      if (path.equals(prefix) || path.startsWith(prefix + "/")) return true;
      // a unit and its drop-ins; envoy@'s template and its instances' links
      if ((prefix.endsWith(".service") || prefix.endsWith("@")) && path.startsWith(prefix))
        return true;
    }
    return false;
  }

  @Override
  public List<String> reached(Set<Notification> queued, List<Outcome> outcomes) {
    List<String> lines = new ArrayList<>();
    boolean unitChanged =
        outcomes.stream()
            .anyMatch(
                o ->
                    o.status() == Outcome.Status.CHANGED
                        && ResourceKey.parse(o.key()).map(k -> unitFile(k.name())).orElse(false));
    if (unitChanged && queued.remove(Notification.daemonReload())) {
      host.run(List.of("systemctl", "daemon-reload"), TIMEOUT).check();
      lines.add("systemctl daemon-reload (before Consul and Envoy start)");
    }
    String state = activeState();
    if (state.equals("inactive") || state.equals("failed")) {
      List<Notification> moot =
          queued.stream()
              .filter(n -> n.target().equals(UnitNames.CONSUL))
              .filter(
                  n ->
                      n.kind() == Notification.Kind.RESTART
                          || n.kind() == Notification.Kind.TRY_RESTART
                          || n.kind() == Notification.Kind.RELOAD)
              .toList();
      for (Notification n : moot) {
        queued.remove(n);
        lines.add(
            "skipped: "
                + n.describe()
                + " ("
                + UnitNames.CONSUL
                + " was "
                + state
                + ": it starts after this run's ready signal, with its config as written)");
      }
    }
    List<Notification> envoyStarts =
        queued.stream()
            .filter(n -> n.kind() == Notification.Kind.START && UnitNames.isEnvoy(n.target()))
            .toList();
    if (!envoyStarts.isEmpty()) {
      lines.addAll(notifier.run(envoyStarts)); // --no-block (systemd/SystemdNotifier)
      // a first start covers this run's restarts and reloads of the same unit, as at the end of
      // the run (engine/Engine#orderNotifications): left queued, a try-restart at the end would
      // kill the start under way (seen: envoy@'s sidecar-wait, SIGTERM)
      for (Notification start : envoyStarts)
        queued.removeIf(n -> n.target().equals(start.target()));
    }
    ExecResult r = host.run(List.of("systemd-notify", "--ready"), TIMEOUT);
    if (!r.ok())
      throw new IllegalStateException(
          "systemd-notify --ready exited "
              + r.exitCode()
              + " ("
              + r.stderr().strip()
              + "): the unit would wait for readiness until its start time-out");
    lines.add("told systemd this unit is ready: Consul's and Envoy's settings are written");
    return lines;
  }

  /** Consul's unit, Envoy's template and their drop-ins. */
  private static boolean unitFile(String path) {
    String consul = "/etc/systemd/system/" + UnitNames.CONSUL;
    return path.equals(consul)
        || path.startsWith(consul + ".d/")
        || path.startsWith("/etc/systemd/system/" + UnitNames.ENVOY_TEMPLATE);
  }

  /** consul.service's ActiveState (systemctl show: one word, "inactive" when not loaded). */
  private String activeState() {
    ExecResult r =
        host.run(
            List.of("systemctl", "show", "--property=ActiveState", "--value", UnitNames.CONSUL),
            TIMEOUT);
    return r.ok() ? r.stdout().strip() : "unknown";
  }
}
