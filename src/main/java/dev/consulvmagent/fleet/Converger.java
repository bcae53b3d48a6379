package dev.consulvmagent.fleet;

import dev.consulvmagent.spec.AgentSpec;

/** The VM side: the same engine as apply (app.Agent), and the health of what it runs. */
public interface Converger {
  /** Whether applying this spec would change anything (a plan with changes). */
  boolean hasChanges(AgentSpec spec);

  /**
   * Applies the spec; throws with a message on failure. {@link FleetUnavailableException} means it
   * could not run now (another apply holds the lock): no verdict, tried again later.
   */
  void apply(AgentSpec spec);

  /**
   * One look at the service's and its sidecar's Consul checks and Envoy's readiness. Throws {@link
   * FleetUnavailableException} when the local agent does not answer (that is not a verdict).
   */
  HealthTracker.Sample health(AgentSpec spec);
}
