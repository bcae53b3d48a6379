package dev.consulvmagent.fleet;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A group's state in Consul's KV store, as the watcher and the operator commands use it ({@link
 * FleetKeys} is the layout). Every method may throw {@link FleetUnavailableException} when Consul
 * cannot answer (down, no leader): callers keep what they have and try again later.
 */
public interface GroupStore {
  /** Reads spec/; blocks while the index is unchanged (index 0: answers at once). */
  GroupView read(long index, Duration wait);

  /** The desired document of a past revision. */
  Optional<Desired> revision(long n);

  /** Writes this node's report. */
  void report(NodeReport r);

  /** Every node's report. */
  List<NodeReport> reports();

  /**
   * Marks a revision halted (check-and-set on control): a later halt of a newer revision is kept.
   */
  void halt(Control.Halt h);

  /**
   * Takes a canary place for this revision if fewer than {@code limit} are taken (check-and-set);
   * true if the node holds one (now or before).
   */
  boolean claimCanary(long revision, String node, int limit);

  /** Promotes a revision past its canaries (check-and-set on control). */
  void promote(long revision);
}
