package dev.consulvmagent.engine;

import java.time.Instant;
import java.util.List;

/** The report of one plan or apply. */
public record RunResult(
    String mode, Instant start, Instant end, List<Outcome> outcomes, List<String> actions, boolean failed, String error) {
  public long changed() {
    return outcomes.stream().filter(o -> o.status() == Outcome.Status.CHANGED).count();
  }

  public long pending() {
    return outcomes.stream().filter(o -> o.kind() != Change.Kind.NONE).count();
  }
}
