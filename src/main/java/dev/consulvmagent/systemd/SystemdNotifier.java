package dev.consulvmagent.systemd;

import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Notifier;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.UnitNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Carries out notifications with systemctl on a live host. Under --root nothing is started (a baked
 * image starts its units at first boot); the lines say so. Starts of units that wait for the
 * cluster are --no-block so a run from cloud-init's runcmd can never deadlock boot.
 */
public final class SystemdNotifier implements Notifier {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private final Host host;

  /**
   * Type=oneshot, RemainAfterExit=yes (render/Units.sidecarInit): a start once it ran is a no-op.
   */
  public static final String ONESHOT_SIDECAR_INIT = "consul-sidecar-init.service";

  public SystemdNotifier(Host host) {
    this.host = host;
  }

  @Override
  public List<String> run(List<Notification> notifications) {
    List<String> lines = new ArrayList<>();
    for (Notification n : notifications) {
      if (!host.live()) {
        lines.add("skipped (--root): " + n.describe());
        continue;
      }
      switch (n.kind()) {
        case DAEMON_RELOAD -> systemctl("daemon-reload");
        case START -> {
          // consul-sidecar-init is a oneshot (RemainAfterExit=yes): once it ran, `start` does
          // nothing; say so instead of claiming it (its work, the registration and Envoy, is
          // updated by their own resources' notifications)
          if (n.target().equals(ONESHOT_SIDECAR_INIT) && isActive(n.target())) {
            lines.add("skipped: " + n.describe() + " (a oneshot that already ran)");
            continue;
          }
          if (n.target().equals("consul-sidecar-init.service") || UnitNames.isEnvoy(n.target())) {
            systemctl("start", "--no-block", n.target());
          } else {
            systemctl("start", n.target());
          }
        }
        case RESTART -> systemctl("try-restart", n.target());
        case TRY_RESTART -> systemctl("try-restart", n.target());
        case STOP -> {
          host.run(List.of("systemctl", "disable", "--now", n.target()), TIMEOUT);
        }
        case RELOAD -> {
          if (isActive(n.target())) {
            host.run(n.command(), Duration.ofSeconds(30)).check();
          } else {
            lines.add("skipped: " + n.describe() + " (" + n.target() + " is not running)");
            continue;
          }
        }
      }
      lines.add(n.describe());
    }
    return lines;
  }

  private void systemctl(String... args) {
    List<String> argv = new ArrayList<>(List.of("systemctl"));
    argv.addAll(List.of(args));
    host.run(argv, TIMEOUT).check();
  }

  public boolean isActive(String unit) {
    return host.run(List.of("systemctl", "is-active", "--quiet", unit), Duration.ofSeconds(10))
        .ok();
  }
}
