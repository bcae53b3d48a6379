package dev.consulvmagent.engine;

import java.util.List;

/** Carries out queued notifications (systemd on a live host). */
public interface Notifier {
  /** Runs them in order and returns one line per action taken or skipped. */
  List<String> run(List<Notification> notifications);
}
