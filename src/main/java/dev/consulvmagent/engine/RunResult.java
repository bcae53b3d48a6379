package dev.consulvmagent.engine;

import java.time.Instant;
import java.util.List;

/** The report of one plan or apply. */
public record RunResult(
    String mode,
    Instant start,
    Instant end,
    List<Outcome> outcomes,
    List<String> actions,
    boolean failed,
    String error,
    List<String> created,
    List<String> removed) {
  public RunResult(
      String mode,
      Instant start,
      Instant end,
      List<Outcome> outcomes,
      List<String> actions,
      boolean failed,
      String error) {
    this(mode, start, end, outcomes, actions, failed, error, List.of(), List.of());
  }

  public long changed() {
    return outcomes.stream().filter(o -> o.status() == Outcome.Status.CHANGED).count();
  }

  public long pending() {
    return outcomes.stream().filter(o -> o.kind() != Change.Kind.NONE).count();
  }
}
