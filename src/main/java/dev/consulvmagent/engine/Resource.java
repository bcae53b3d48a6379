package dev.consulvmagent.engine;

import dev.consulvmagent.host.Host;
import java.util.List;
import java.util.Optional;

/**
 * One convergent unit. {@link #observe} only reads (it gets a read-only host during plan); {@link
 * #converge} is the only place that changes anything, and only in apply.
 */
public interface Resource {
  /** Identity, e.g. {@code file:/etc/consul.d/consul.json}. */
  ResourceKey key();

  /** The desired state, or null when the resource should not exist. */
  State desired();

  Observed observe(Host host);

  void converge(Host host, Observed observed);

  /**
   * Optional slow preparation (a download into the cache) that may run in parallel with other
   * resources' preparation before the ordered converge pass. Must not change what observe sees.
   */
  default void prepare(Host host) {}

  default boolean hasPreparation() {
    return false;
  }

  /** Drops what {@link #prepare} made and converge did not use (a run that failed before). */
  default void discardPreparation() {}

  /** The file this resource writes, if any (its interrupted temp files are cleaned up). */
  default Optional<String> path() {
    return Optional.empty();
  }

  /**
   * Directories where preparing or converging keeps scratch files of its own (the download cache):
   * every temp file in them older than the run is swept, whatever its name.
   */
  default List<String> scratchDirs() {
    return List.of();
  }

  /**
   * Other paths converging may create (e.g. /etc/passwd for a user); recorded as ours if it does.
   */
  default List<String> sideEffectPaths() {
    return List.of();
  }

  /** Notifications to queue when this resource changed. */
  default List<Notification> notifications(Change change) {
    return List.of();
  }
}
