package dev.consulvmagent.systemd;

import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Notifier;
import dev.consulvmagent.host.ExecResult;
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
            start(n.target());
          }
        }
        case RESTART -> systemctl("try-restart", n.target());
        case TRY_RESTART -> systemctl("try-restart", n.target());
        case STOP -> {
          host.run(List.of("systemctl", "disable", "--now", n.target()), TIMEOUT);
        }
        case RELOAD -> {
          if (isActive(n.target())) {
            ExecResult r = host.run(n.command(), Duration.ofSeconds(30));
            if (!r.ok() && aclDeniedConsulReload(n, r)) {
              // ACL default deny: a secure client has no token with agent:write, which `consul
              // reload` (PUT /v1/agent/reload) needs; SIGHUP makes the agent reload its config
              // the same way (hashicorp/consul command/agent/agent.go v1.8.7: SIGHUP →
              // handleReload), a rejected config going to its log as with `consul reload`.
              systemctl("kill", "--signal=HUP", "--kill-who=main", n.target());
              lines.add(n.describe() + " (403 without agent:write: SIGHUP to " + n.target() + ")");
              continue;
            }
            r.check();
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

  /**
   * `consul reload` refused by the ACL system, not a bad config: 403 (Permission denied), or 403
   * (ACL not found), which a client agent answers every locally resolved request while it is still
   * in legacy ACL mode just after joining (consul.AgentApi#resolvesTokens; CI's e2e-cloud: "Error
   * reloading: Unexpected response code: 403 (ACL not found)").
   */
  static boolean aclDeniedConsulReload(Notification n, ExecResult r) {
    String out = r.stdout() + r.stderr();
    return n.target().equals(UnitNames.CONSUL)
        && n.command().equals(UnitNames.consulReload().command())
        && (out.contains("403 (Permission denied)") || out.contains("403 (ACL not found)"));
  }

  /**
   * A blocking start; when it fails, the error carries the unit's last journal lines, so the
   * operator (and a CI log) sees why instead of only systemctl's "see journalctl" pointer. Only for
   * our own units and Consul's ({@link UnitNames#journalIsOurs}, exact names), whose output we know
   * holds no secret; an application's unit may log anything, so its journal is not copied (the
   * error may end up in a fleet report other machines read).
   */
  private void start(String unit) {
    ExecResult r = host.run(List.of("systemctl", "start", unit), TIMEOUT);
    if (r.ok()) return;
    if (!UnitNames.journalIsOurs(unit)) r.check();
    ExecResult j =
        host.run(
            List.of("journalctl", "-b", "--no-pager", "-o", "cat", "-n", "12", "-u", unit),
            Duration.ofSeconds(10));
    String journal = j.ok() ? j.stdout().strip() : "";
    if (journal.isEmpty()) r.check();
    throw new UnitStartFailed(r, unit, journal);
  }

  /** A failed start of one of our units, with the unit's last journal lines. */
  public static final class UnitStartFailed extends RuntimeException {
    UnitStartFailed(ExecResult r, String unit, String journal) {
      super(
          String.join(" ", r.argv())
              + " exited "
              + r.exitCode()
              + "; the last lines of journalctl -u "
              + unit
              + ":\n  "
              + journal.replace("\n", "\n  "));
    }
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
