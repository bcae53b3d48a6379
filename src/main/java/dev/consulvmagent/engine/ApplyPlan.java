package dev.consulvmagent.engine;

import java.util.List;

/**
 * apply's plan as a value: what each resource needs, and the preparations (downloads) already
 * started for it while planning. {@link Engine#apply(ApplyPlan, dev.consulvmagent.host.Host,
 * Notifier, java.time.Instant, java.util.function.Consumer)} joins and consumes them.
 */
public record ApplyPlan(List<Planned> planned, Preparations preparations) {
  public ApplyPlan {
    planned = List.copyOf(planned);
  }
}
