package dev.consulvmagent.engine;

import java.util.List;
import java.util.Set;

/**
 * Something apply does once, in the middle of its ordered pass: as soon as every resource up to
 * {@link #after} has converged, before the rest (app/InstanceReady: a baked image's first-boot
 * apply tells systemd it is ready once Consul's inputs are written, so Consul starts while the rest
 * converges). Never reached after a failure: what follows the failed resource is not converged.
 */
public interface Checkpoint {
  Checkpoint NONE =
      new Checkpoint() {
        @Override
        public int after(List<Planned> plan) {
          return Integer.MAX_VALUE;
        }

        @Override
        public List<String> reached(Set<Notification> queued, List<Outcome> outcomes) {
          return List.of();
        }
      };

  /**
   * The index in plan of the last resource that must have converged first; -1: before the first.
   * Past the end: never reached ({@link #NONE}).
   */
  int after(List<Planned> plan);

  /**
   * queued: what the resources so far queued, in order; this may run some and remove them (the rest
   * run after the pass as always). outcomes: what the pass did so far. Returns the lines for the
   * run's actions.
   */
  List<String> reached(Set<Notification> queued, List<Outcome> outcomes);
}
