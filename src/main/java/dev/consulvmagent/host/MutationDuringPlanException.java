package dev.consulvmagent.host;

/** A resource tried to change the host while the engine was only planning: a bug, always. */
public final class MutationDuringPlanException extends IllegalStateException {
  public MutationDuringPlanException(String what) {
    super("mutation during plan: " + what);
  }
}
