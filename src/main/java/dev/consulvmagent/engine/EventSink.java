package dev.consulvmagent.engine;

/** Progress lines from the engine and resources (the CLI decides how to show them). */
public interface EventSink {
  void info(String message);

  default void verbose(String message) {}

  EventSink NONE = m -> {};
}
