package dev.consulvmagent.engine;

import java.util.List;

/**
 * Something to do after the ordered pass, deduplicated: reload systemd, restart a unit, … The
 * engine knows no program: a module that needs a reload says which unit and which command reloads
 * it ({@link #reload}).
 */
public record Notification(Kind kind, String target, List<String> command) {
  public Notification {
    command = List.copyOf(command);
  }

  public Notification(Kind kind, String target) {
    this(kind, target, List.of());
  }

  public enum Kind {
    DAEMON_RELOAD,
    /** enable and start the unit if it is not running; nothing if it is */
    START,
    RESTART,
    /** re-read configuration by running command, if the unit is active; a (re)start covers it */
    RELOAD,
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

  /** Reloads unit's configuration by running command while unit is active (argument list). */
  public static Notification reload(String unit, List<String> command) {
    return new Notification(Kind.RELOAD, unit, command);
  }

  public String describe() {
    return switch (kind) {
      case DAEMON_RELOAD -> "systemctl daemon-reload";
      case START -> "start " + target;
      case RESTART -> "restart " + target;
      case RELOAD ->
          command.isEmpty()
              ? "reload " + target
              : String.join(" ", command).replaceFirst("^\\S*/", ""); // e.g. "consul reload"
      case TRY_RESTART -> "try-restart " + target;
      case STOP -> "stop " + target;
    };
  }
}
