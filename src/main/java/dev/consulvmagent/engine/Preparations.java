package dev.consulvmagent.engine;

import dev.consulvmagent.host.Host;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The slow preparations (downloads) of one apply: those started while planning, so they overlap
 * planning the rest, and the paths they may create that were absent before they started (recorded
 * as ours if they appear). It travels with the plan ({@link ApplyPlan}), never in the engine.
 */
public final class Preparations {
  private final Map<Resource, Future<?>> early = new IdentityHashMap<>();
  private final Set<String> absentBefore = new TreeSet<>();
  private ExecutorService pool;

  /** None started: apply prepares everything itself. */
  public static Preparations none() {
    return new Preparations();
  }

  /** Starts r's preparation in the background; absent: what it may create that is not there. */
  void start(Resource r, Host host, List<String> absent) {
    absentBefore.addAll(absent);
    early.put(r, pool().submit(() -> r.prepare(host)));
  }

  /** Paths absent before the early preparations started. */
  Set<String> absentBefore() {
    return absentBefore;
  }

  /**
   * Joins the preparations of plan's actionable resources (those started early, the rest started
   * now, in parallel); the first failure is thrown. What was started early but is no longer wanted
   * is discarded either way.
   */
  void joinAll(List<Planned> plan, Host host) {
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (Planned p : plan) {
        Resource r = p.resource();
        if (!p.change().actionable() || !r.hasPreparation()) continue;
        Future<?> started = early.remove(r);
        fs.add(started != null ? started : pool().submit(() -> r.prepare(host)));
      }
      RuntimeException first = null;
      for (Future<?> f : fs) {
        try {
          f.get();
        } catch (ExecutionException e) {
          if (first == null) {
            first =
                e.getCause() instanceof RuntimeException re
                    ? re
                    : new IllegalStateException(e.getCause());
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
      }
      if (first != null) throw first;
    } finally {
      discard();
    }
  }

  /**
   * The run ends without using what was started while planning: waits for those still running (they
   * write under the root, so they must end while the run lock is held), then lets each resource
   * delete what it staged.
   */
  public void discard() {
    for (Map.Entry<Resource, Future<?>> e : early.entrySet()) {
      try {
        e.getValue().get();
      } catch (ExecutionException | CancellationException ignored) {
        // a failed preparation cleaned up after itself
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
      e.getKey().discardPreparation();
    }
    early.clear();
    if (pool != null) pool.shutdownNow();
  }

  private synchronized ExecutorService pool() {
    if (pool == null) {
      pool =
          Executors.newFixedThreadPool(
              4,
              r -> {
                Thread t = new Thread(r, "prepare");
                t.setDaemon(true);
                return t;
              });
    }
    return pool;
  }
}
