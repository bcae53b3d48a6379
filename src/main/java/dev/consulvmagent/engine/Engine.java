package dev.consulvmagent.engine;

import dev.consulvmagent.host.Host;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
   * apply's plan: the resources that need a slow preparation (a download) are observed first and
   * their preparation started at once in the background, so downloads overlap planning the rest;
   * {@link #apply(ApplyPlan, Host, Notifier, Instant, Consumer)} joins them. The one place
   * downloads are started, and their ownership noted. The preparations travel in the returned
   * value.
   */
  public ApplyPlan planForApply(
      List<Resource> resources, Host host, Consumer<List<String>> willCreate) {
    Instant began = Instant.now(); // file times are the real clock's
    Preparations early = new Preparations();
    try {
      // which downloads to start, and what they may create: recorded in one write (the ledger is
      // written durably: one fsync, not one per download) before any of them starts
      Map<Resource, List<String>> starts = new LinkedHashMap<>();
      for (Resource r : resources) {
        if (!r.hasPreparation()) continue;
        Change c = Change.between(r.key().toString(), r.desired(), r.observe(host.readOnly()));
        if (!c.actionable()) continue;
        starts.put(r, OwnershipWatch.paths(r).stream().filter(w -> !host.fs().exists(w)).toList());
      }
      List<String> absent = starts.values().stream().flatMap(List::stream).distinct().toList();
      if (!absent.isEmpty()) willCreate.accept(absent); // ours before it exists
      starts.forEach((r, paths) -> early.start(r, host, paths));
      return new ApplyPlan(plan(resources, host), early, began);
    } catch (RuntimeException e) {
      early.discard(); // no download may outlive the failed run (and its lock)
      throw e;
    }
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

  /** A plan without early preparations ({@link #plan}): apply prepares what it needs itself. */
  public RunResult apply(
      List<Planned> plan,
      Host host,
      Notifier notifier,
      Instant start,
      Consumer<List<String>> willCreate) {
    return apply(
        new ApplyPlan(plan, Preparations.none(), start), host, notifier, start, willCreate);
  }

  /**
   * Applies plan; willCreate is told every path (and user:NAME) this run may create before anything
   * is created (the ownership ledger records them first, so a kill at any moment leaves nothing
   * unrecorded).
   */
  public RunResult apply(
      ApplyPlan applyPlan,
      Host host,
      Notifier notifier,
      Instant start,
      Consumer<List<String>> willCreate) {
    return apply(applyPlan, host, notifier, start, willCreate, Checkpoint.NONE);
  }

  /**
   * The same, with a checkpoint reached once every resource up to its index has converged (not
   * after a failure).
   */
  public RunResult apply(
      ApplyPlan applyPlan,
      Host host,
      Notifier notifier,
      Instant start,
      Consumer<List<String>> willCreate,
      Checkpoint checkpoint) {
    List<Planned> plan = applyPlan.planned();
    long checkpointBefore = (long) checkpoint.after(plan) + 1; // the index it comes before
    List<String> actions = new ArrayList<>();
    List<Outcome> outcomes = new ArrayList<>();
    Set<Notification> queued = new LinkedHashSet<>();
    List<String> created = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    String error = null;
    // the caller holds the run lock: temp files next to our paths are leftovers of a killed run
    // what the early downloads staged since planning began is theirs, not a killed run's
    Instant since = applyPlan.began().isBefore(start) ? applyPlan.began() : start;
    int stale = TempSweep.run(plan, host, since);
    if (stale > 0) events.info("removed " + stale + " temp file(s) left by an interrupted run");
    // what this run may create (paths, their parents, side effects): recorded as ours if it does
    List<String> mayCreate = new ArrayList<>();
    OwnershipWatch watch =
        OwnershipWatch.before(plan, host, applyPlan.preparations().absentBefore(), mayCreate);
    if (!mayCreate.isEmpty()) willCreate.accept(mayCreate);
    try {
      applyPlan.preparations().joinAll(plan, host);
    } catch (RuntimeException e) {
      error = e.getMessage();
    }
    for (int i = 0; i < plan.size(); i++) {
      if (i == checkpointBefore && error == null)
        error = reach(checkpoint, queued, outcomes, actions);
      Planned p = plan.get(i);
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
    if (checkpointBefore == plan.size() && error == null)
      error = reach(checkpoint, queued, outcomes, actions);
    for (Planned p : plan) if (p.resource().hasPreparation()) p.resource().discardPreparation();
    created.addAll(watch.appeared());
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

  /** Reaches the checkpoint; its failure is the run's (what follows is not attempted). */
  private static String reach(
      Checkpoint checkpoint, Set<Notification> queued, List<Outcome> outcomes, List<String> lines) {
    try {
      lines.addAll(checkpoint.reached(queued, outcomes));
      return null;
    } catch (RuntimeException e) {
      return e.getMessage() != null ? e.getMessage() : e.toString(); // never null: the run failed
    }
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

  /**
   * What applying this plan would notify, in the order apply runs it: each actionable change's
   * notifications, as apply queues them after converging (plan shows them; apply queues only what
   * did change, which on an unchanged host is the same).
   */
  public static List<Notification> wouldNotify(List<Planned> plan) {
    Set<Notification> queued = new LinkedHashSet<>();
    for (Planned p : plan) {
      if (p.change().actionable()) queued.addAll(p.resource().notifications(p.change()));
    }
    return orderNotifications(queued);
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
}
