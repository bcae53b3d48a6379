package dev.consulvmagent.engine;

import dev.consulvmagent.host.Host;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What an apply may create (paths, their parents, side effects, user:NAME), noted before anything
 * is created so the ownership ledger records it first, and afterwards what did appear.
 */
final class OwnershipWatch {
  private final Host host;
  private final Set<String> absentBefore = new TreeSet<>();

  private OwnershipWatch(Host host) {
    this.host = host;
  }

  /** The paths r may create: its side effects, its path and that path's parents. */
  static List<String> paths(Resource r) {
    List<String> w = new ArrayList<>(r.sideEffectPaths());
    r.path().ifPresent(path -> w.addAll(Engine.selfAndAncestors(path)));
    return w;
  }

  /**
   * Starts watching plan's actionable resources; earlier: paths found absent before the early
   * preparations began. Returns the watch and, through mayCreate, what to record as ours now.
   */
  static OwnershipWatch before(
      List<Planned> plan, Host host, Set<String> earlier, List<String> mayCreate) {
    OwnershipWatch w = new OwnershipWatch(host);
    Set<String> watch = new TreeSet<>();
    for (Planned p : plan) {
      if (p.change().actionable()) watch.addAll(paths(p.resource()));
    }
    w.absentBefore.addAll(earlier);
    watch.stream().filter(x -> !host.fs().exists(x)).forEach(w.absentBefore::add);
    mayCreate.addAll(w.absentBefore);
    for (Planned p : plan) {
      if (p.change().kind() == Change.Kind.CREATE
          && p.resource().key().kind() == ResourceKey.Kind.USER) {
        mayCreate.add(p.resource().key().toString());
      }
    }
    return w;
  }

  /** The watched paths that exist now (created by this run). */
  List<String> appeared() {
    return absentBefore.stream().filter(x -> host.fs().exists(x)).toList();
  }
}
