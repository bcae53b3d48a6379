package dev.consulvmagent.engine;

/** Something to do after the ordered pass, deduplicated: reload systemd, restart a unit, … */
public record Notification(Kind kind, String target) {
  public enum Kind {
    DAEMON_RELOAD,
    /** enable and start the unit if it is not running; nothing if it is */
    START,
    RESTART,
    /** consul reload: config-only changes */
    CONSUL_RELOAD,
    /** systemctl try-restart systemd-resolved and friends */
    TRY_RESTART,
    /** stop and disable a unit that is no longer wanted */
    STOP
  }

  public static Notification daemonReload() {
    return new Notification(Kind.DAEMON_RELOAD, "systemd");
  }

  public static Notification restart(String unit) {
    return new Notification(Kind.RESTART, unit);
  }

  public static Notification start(String unit) {
    return new Notification(Kind.START, unit);
  }

  public static Notification stop(String unit) {
    return new Notification(Kind.STOP, unit);
  }

  public static Notification consulReload() {
    return new Notification(Kind.CONSUL_RELOAD, "consul");
  }

  public String describe() {
    return switch (kind) {
      case DAEMON_RELOAD -> "systemctl daemon-reload";
      case START -> "start " + target;
      case RESTART -> "restart " + target;
      case CONSUL_RELOAD -> "consul reload";
      case TRY_RESTART -> "try-restart " + target;
      case STOP -> "stop " + target;
    };
  }
}
