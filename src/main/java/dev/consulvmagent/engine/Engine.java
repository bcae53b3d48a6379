package dev.consulvmagent.engine;

import dev.consulvmagent.host.Host;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Plan: observe every resource through a read-only host and diff. Apply: the same plan, then
 * prepare (parallel downloads), converge in order, re-observe to verify, and finally run the queued
 * notifications — also after a failure, for what did change.
 */
public final class Engine {
  private final EventSink events;

  public Engine(EventSink events) {
    this.events = events;
  }

  /**
   * Preparations (downloads) apply started while planning, and the paths they may create that were
   * absent before they started (recorded as ours if they appear).
   */
  private final Map<Resource, Future<?>> early = new IdentityHashMap<>();

  private final Set<String> absentBeforeEarly = new TreeSet<>();
  private ExecutorService pool;

  /**
   * apply's plan: the resources that need a slow preparation (a download) are observed first and
   * their preparation started at once in the background, so downloads overlap planning the rest;
   * {@link #apply} joins them. The one place downloads are started, and their ownership noted.
   */
  public List<Planned> planForApply(
      List<Resource> resources, Host host, Consumer<List<String>> willCreate) {
    try {
      for (Resource r : resources) {
        if (!r.hasPreparation()) continue;
        Change c = Change.between(r.key().toString(), r.desired(), r.observe(host.readOnly()));
        if (!c.actionable()) continue;
        List<String> absent = watchPaths(r).stream().filter(w -> !host.fs().exists(w)).toList();
        absentBeforeEarly.addAll(absent);
        if (!absent.isEmpty()) willCreate.accept(absent); // ours before it exists
        early.put(r, pool().submit(() -> r.prepare(host)));
      }
      return plan(resources, host);
    } catch (RuntimeException e) {
      discardEarly(); // no download may outlive the failed run (and its lock)
      throw e;
    }
  }

  /**
   * The run ends without using what was started while planning: waits for those still running (they
   * write under the root, so they must end while the run lock is held), then lets each resource
   * delete what it staged.
   */
  private void discardEarly() {
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

  private static List<String> watchPaths(Resource r) {
    List<String> w = new ArrayList<>(r.sideEffectPaths());
    r.path().ifPresent(path -> w.addAll(selfAndAncestors(path)));
    return w;
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

  public List<Planned> plan(List<Resource> resources, Host host) {
    Host ro = host.readOnly();
    List<Planned> out = new ArrayList<>(resources.size());
    for (Resource r : resources) {
      Observed o = r.observe(ro);
      Change c = Change.between(r.key().toString(), r.desired(), o);
      out.add(new Planned(r, o, c));
    }
    return out;
  }

  public RunResult planResult(List<Planned> plan, Instant start) {
    List<Outcome> outcomes = new ArrayList<>();
    for (Planned p : plan) {
      Change c = p.change();
      outcomes.add(
          new Outcome(c.key(), c.kind(), Outcome.Status.UNCHANGED, c.fields(), c.reason()));
    }
    return new RunResult("plan", start, Instant.now(), outcomes, List.of(), false, null);
  }

  public RunResult apply(List<Planned> plan, Host host, Notifier notifier, Instant start) {
    return apply(plan, host, notifier, start, paths -> {});
  }

  /**
   * Applies plan; willCreate is told every path (and user:NAME) this run may create before anything
   * is created (the ownership ledger records them first, so a kill at any moment leaves nothing
   * unrecorded).
   */
  public RunResult apply(
      List<Planned> plan,
      Host host,
      Notifier notifier,
      Instant start,
      Consumer<List<String>> willCreate) {
    List<Outcome> outcomes = new ArrayList<>();
    Set<Notification> queued = new LinkedHashSet<>();
    List<String> created = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    String error = null;
    // the caller holds the run lock: temp files next to our paths are leftovers of a killed run
    Map<String, Set<String>> byDir = new LinkedHashMap<>();
    for (Planned p : plan) {
      p.resource()
          .path()
          .ifPresent(
              path -> {
                int slash = path.lastIndexOf('/');
                byDir
                    .computeIfAbsent(
                        slash <= 0 ? "/" : path.substring(0, slash), d -> new HashSet<>())
                    .add(path.substring(slash + 1));
              });
    }
    int stale = 0;
    for (Map.Entry<String, Set<String>> e : byDir.entrySet()) {
      stale += host.fs().removeStaleTemps(e.getKey(), e.getValue(), start.toEpochMilli());
    }
    Set<String> scratch = new TreeSet<>();
    for (Planned p : plan) scratch.addAll(p.resource().scratchDirs());
    for (String d : scratch) stale += host.fs().removeStaleTemps(d, null, start.toEpochMilli());
    if (stale > 0) events.info("removed " + stale + " temp file(s) left by an interrupted run");
    // what this run may create (paths, their parents, side effects): recorded as ours if it does
    Set<String> watch = new TreeSet<>();
    for (Planned p : plan) {
      if (p.change().actionable()) watch.addAll(watchPaths(p.resource()));
    }
    Set<String> absentBefore = new TreeSet<>(absentBeforeEarly);
    watch.stream().filter(x -> !host.fs().exists(x)).forEach(absentBefore::add);
    List<String> mayCreate = new ArrayList<>(absentBefore);
    for (Planned p : plan) {
      if (p.change().kind() == Change.Kind.CREATE
          && p.resource().key().kind() == ResourceKey.Kind.USER) {
        mayCreate.add(p.resource().key().toString());
      }
    }
    if (!mayCreate.isEmpty()) willCreate.accept(mayCreate);
    try {
      prepareAll(plan, host);
    } catch (RuntimeException e) {
      error = e.getMessage();
    }
    for (Planned p : plan) {
      Change c = p.change();
      if (error != null) {
        outcomes.add(
            new Outcome(
                c.key(),
                c.kind(),
                c.actionable() ? Outcome.Status.SKIPPED : Outcome.Status.UNCHANGED,
                c.fields(),
                c.actionable() ? "not attempted after an earlier failure" : c.reason()));
        continue;
      }
      if (!c.actionable()) {
        outcomes.add(
            new Outcome(c.key(), c.kind(), Outcome.Status.UNCHANGED, c.fields(), c.reason()));
        continue;
      }
      Resource r = p.resource();
      try {
        // Observe again right before converging: an earlier resource (a user, a directory) may
        // have changed what this one sees, and the change list must describe what really happens.
        Observed before = r.observe(host.readOnly());
        Change now = Change.between(r.key().toString(), r.desired(), before);
        if (!now.actionable()) {
          outcomes.add(
              new Outcome(
                  c.key(), Change.Kind.NONE, Outcome.Status.UNCHANGED, List.of(), now.reason()));
          continue;
        }
        r.converge(host, before);
        if (now.kind() == Change.Kind.CREATE && r.key().kind() == ResourceKey.Kind.USER)
          created.add(r.key().toString());
        if (now.kind() == Change.Kind.DELETE) r.path().ifPresent(removed::add);
        Observed after = r.observe(host.readOnly());
        Change left = Change.between(r.key().toString(), r.desired(), after);
        if (left.actionable()) {
          throw new IllegalStateException(
              "did not converge: "
                  + left.fields().stream().map(FieldChange::describe).toList()
                  + (left.kind() == Change.Kind.UNKNOWN ? " " + left.reason() : ""));
        }
        outcomes.add(
            new Outcome(c.key(), now.kind(), Outcome.Status.CHANGED, now.fields(), now.reason()));
        events.emit(new RunEvent.ResourceChanged(c.key(), label(now)));
        queued.addAll(r.notifications(now));
      } catch (RuntimeException e) {
        error = r.key() + ": " + e.getMessage();
        outcomes.add(
            new Outcome(c.key(), c.kind(), Outcome.Status.FAILED, c.fields(), e.getMessage()));
      }
    }
    for (Planned p : plan) if (p.resource().hasPreparation()) p.resource().discardPreparation();
    for (String x : absentBefore) if (host.fs().exists(x)) created.add(x);
    List<String> actions = new ArrayList<>();
    if (!queued.isEmpty()) {
      try {
        actions.addAll(notifier.run(orderNotifications(queued)));
      } catch (RuntimeException e) {
        error = error == null ? e.getMessage() : error + "; " + e.getMessage();
      }
    }
    return new RunResult(
        "apply",
        start,
        host.clock().instant(),
        outcomes,
        actions,
        error != null,
        error,
        created,
        removed);
  }

  /** path and each of its parents below the root, deepest first. */
  public static List<String> selfAndAncestors(String path) {
    List<String> out = new ArrayList<>();
    for (String p = path; p.length() > 1; p = p.substring(0, Math.max(1, p.lastIndexOf('/'))))
      out.add(p);
    return out;
  }

  private static String label(Change c) {
    return switch (c.kind()) {
      case CREATE -> "created";
      case UPDATE -> "updated";
      case DELETE -> "removed";
      default -> "converged";
    };
  }

  /** daemon-reload first, then everything else in the order it was queued. */
  static List<Notification> orderNotifications(Set<Notification> queued) {
    List<Notification> out = new ArrayList<>();
    for (Notification n : queued) if (n.kind() == Notification.Kind.DAEMON_RELOAD) out.add(n);
    for (Notification n : queued) if (n.kind() != Notification.Kind.DAEMON_RELOAD) out.add(n);
    // A unit both newly enabled (START) and changed (RESTART, i.e. try-restart) must end up
    // running the new version: one start covers both, since it was not running before.
    Set<String> started = new LinkedHashSet<>();
    for (Notification n : out) if (n.kind() == Notification.Kind.START) started.add(n.target());
    out.removeIf(n -> n.kind() == Notification.Kind.RESTART && started.contains(n.target()));
    // a restart (or first start) of a unit re-reads its config: no reload of it needed
    Set<String> restarted = new LinkedHashSet<>();
    for (Notification n : out) {
      if (n.kind() == Notification.Kind.RESTART || n.kind() == Notification.Kind.START)
        restarted.add(n.target());
    }
    out.removeIf(n -> n.kind() == Notification.Kind.RELOAD && restarted.contains(n.target()));
    return out;
  }

  /** Joins the preparations started while planning and runs the rest, in parallel. */
  private void prepareAll(List<Planned> plan, Host host) {
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
      discardEarly(); // started while planning, but no longer wanted by the plan
    }
  }
}
