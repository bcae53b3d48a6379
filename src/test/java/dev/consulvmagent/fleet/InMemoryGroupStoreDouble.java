package dev.consulvmagent.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A TEST DOUBLE of {@link GroupStore} in memory, for the watcher's state machine only (the Consul
 * store itself is tested against the real 1.8.7 in ConsulGroupStoreRealTest). It never blocks: read
 * answers at once with a counter as its index. {@code down} makes every call fail as an unreachable
 * Consul does.
 */
final class InMemoryGroupStoreDouble implements GroupStore {
  Optional<Desired> desired = Optional.empty();
  Control control = Control.NONE;
  GroupView.Canaries canaries = GroupView.Canaries.NONE;
  final Map<Long, Desired> revisions = new LinkedHashMap<>();
  final Map<String, NodeReport> reports = new LinkedHashMap<>();
  final List<NodeReport> history = new ArrayList<>();
  boolean down;
  long index = 1;
  int reads;

  void push(Desired d) {
    desired = Optional.of(d);
    revisions.put(d.revision(), d);
    index++;
  }

  private void check() {
    if (down) throw new FleetUnavailableException("connection refused (double)");
  }

  @Override
  public GroupView read(long idx, Duration wait) {
    reads++;
    check();
    return new GroupView(index, desired, control, canaries);
  }

  @Override
  public Optional<Desired> revision(long n) {
    check();
    return Optional.ofNullable(revisions.get(n));
  }

  @Override
  public void report(NodeReport r) {
    check();
    reports.put(r.node(), r);
    history.add(r);
  }

  @Override
  public List<NodeReport> reports() {
    check();
    return List.copyOf(reports.values());
  }

  @Override
  public void halt(Control.Halt h) {
    check();
    if (control.halted().isEmpty() || control.halted().get().revision() < h.revision())
      control = control.withHalt(h);
    index++;
  }

  @Override
  public boolean claimCanary(long revision, String node, int limit) {
    check();
    if (canaries.revision() != revision) canaries = new GroupView.Canaries(revision, List.of());
    if (canaries.nodes().contains(node)) return true;
    if (canaries.nodes().size() >= limit) return false;
    List<String> n = new ArrayList<>(canaries.nodes());
    n.add(node);
    canaries = new GroupView.Canaries(revision, n);
    index++;
    return true;
  }

  @Override
  public void promote(long revision) {
    check();
    control = control.withPromoted(revision);
    index++;
  }
}
