package dev.consulvmagent.engine;

import java.time.Instant;
import java.util.List;

/**
 * apply's plan as a value: what each resource needs, the preparations (downloads) already started
 * for it while planning, and when planning began (their temp files are newer: apply's sweep of a
 * killed run's leftovers must not take them for leftovers). {@link Engine#apply(ApplyPlan,
 * dev.consulvmagent.host.Host, Notifier, java.time.Instant, java.util.function.Consumer)} joins and
 * consumes them.
 */
public record ApplyPlan(List<Planned> planned, Preparations preparations, Instant began) {
  public ApplyPlan {
    planned = List.copyOf(planned);
  }
}
