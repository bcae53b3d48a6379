package dev.consulvmagent.engine;

/** Where a run's {@link RunEvent}s go (the CLI decides how to show them). */
@FunctionalInterface
public interface EventSink {
  void emit(RunEvent event);

  default void info(String message) {
    emit(new RunEvent.Message(message, false));
  }

  default void verbose(String message) {
    emit(new RunEvent.Message(message, true));
  }

  EventSink NONE = e -> {};
}
