package dev.consulvmagent.fleet;

import dev.consulvmagent.fleet.NodeReport.State;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.ConfigOverlay;
import dev.consulvmagent.spec.SpecException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code consul-vm-agent watch}: follows the group's desired revision and rolls this VM forward,
 * one revision at a time (README "Fleet rollouts"). For each new revision: merge the overlay over
 * the VM's own config and validate it strictly (invalid: report {@code invalid}, change nothing);
 * plan (no change: report {@code healthy} without a slot); otherwise wait for a canary place if the
 * revision has canaries and is not promoted, take a slot of the group's semaphore, apply through
 * the same engine as {@code apply}, wait for health with Nomad's semantics ({@link HealthTracker}),
 * report, release. A failure halts the revision for the group (check-and-set) and, with {@code
 * auto_revert}, applies the last healthy revision again if it differs.
 *
 * <p>Consul unavailable (any read or write failing): the VM keeps its revision, reports nothing
 * wrong, never reverts; the loop backs off ({@link BlockingIndex}). A revision older than one
 * already seen is never started.
 */
public final class Watcher {
  private final String node;
  private final GroupStore store;
  private final Slots slots;
  private final Converger converger;
  private final LocalState.Store local;
  private final Supplier<byte[]> baseConfig;
  private final Clock clock;
  private final Consumer<String> log;
  private final Settings settings;
  private LocalState state;
  private long seenRevision;
  private String seenPushedAt;
  private NodeReport lastSent;
  private NodeReport unsent;

  /** Timings (short in tests). */
  public record Settings(Duration blockWait, Duration slotWait, Duration healthInterval) {
    public static final Settings STANDARD =
        new Settings(Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofSeconds(1));
  }

  public Watcher(
      String node,
      GroupStore store,
      Slots slots,
      Converger converger,
      LocalState.Store local,
      Supplier<byte[]> baseConfig,
      Clock clock,
      Consumer<String> log,
      Settings settings) {
    this.node = node;
    this.store = store;
    this.slots = slots;
    this.converger = converger;
    this.local = local;
    this.baseConfig = baseConfig;
    this.clock = clock;
    this.log = log;
    this.settings = settings;
    this.state = local.load().orElse(LocalState.INITIAL);
    this.seenRevision = state.revision();
    this.seenPushedAt = state.pushedAt();
  }

  public LocalState state() {
    return state;
  }

  /**
   * Runs until interrupted (or {@code rounds} reads, for tests: -1 is forever). Each round is one
   * read of spec/ (blocking) and its handling.
   */
  public void run(BlockingIndex blocking, long rounds) throws InterruptedException {
    for (long r = 0; rounds < 0 || r < rounds; r++) {
      if (Thread.currentThread().isInterrupted()) throw new InterruptedException();
      GroupView v;
      try {
        v = store.read(blocking.index(), settings.blockWait());
      } catch (FleetUnavailableException e) {
        Duration back = blocking.failed();
        log.accept(
            "Consul unavailable ("
                + e.getMessage()
                + "); keeping revision "
                + state.appliedRevision()
                + ", retrying in "
                + GoDuration.format(back));
        clock.sleep(back);
        continue;
      }
      Duration pause = blocking.answered(v.index(), clock.now());
      if (blocking.wentBackwards() && lastSent != null) {
        // a snapshot restore may have taken our report back: write it again, so the group's
        // next push numbers its revision above what this VM has already seen
        log.accept("Consul's index went backwards (a snapshot restore?): re-reading everything");
        unsent = lastSent;
        lastSent = null;
      }
      flush();
      try {
        if (handle(v)) blocking.reset(); // something to look at again at once (no slot yet)
        else slots.withdraw(); // no slot wanted now: leave the queue to the others
      } catch (FleetUnavailableException e) {
        log.accept("could not finish (" + e.getMessage() + "); will retry, nothing reverted");
        blocking.reset();
        pause = pause.plus(blocking.failed());
      }
      clock.sleep(pause);
    }
  }

  /** Handles one view; true if it should be looked at again soon (waiting for a slot). */
  public boolean handle(GroupView v) throws InterruptedException {
    if (v.desired().isEmpty()) return false; // nothing pushed for this group yet
    Desired d = v.desired().get();
    boolean same = d.revision() == seenRevision && d.pushedAt().equals(seenPushedAt);
    // newer: a higher number, or pushed after the one seen (Consul lost its data and the
    // numbers started again); a lower number pushed earlier is a restored old one: never run
    boolean newer =
        d.revision() > seenRevision
            || (!same && instant(d.pushedAt()).isAfter(instant(seenPushedAt)));
    if (!same && !newer) {
      log.accept("ignoring revision " + d.revision() + ": revision " + seenRevision + " was seen");
      return false;
    }
    seenRevision = d.revision();
    seenPushedAt = d.pushedAt();
    if (same
        && state.revision() == d.revision()
        && state.pushedAt().equals(d.pushedAt())
        && finished(state.state())) return false;
    AgentSpec spec;
    try {
      spec = ConfigOverlay.apply(baseConfig.get(), d.overlay().getBytes(StandardCharsets.UTF_8));
    } catch (SpecException e) {
      remember(d.revision(), State.INVALID, state.appliedRevision(), state.appliedOverlay());
      report(d.revision(), State.INVALID, "invalid with this VM's config: " + e.getMessage());
      return false;
    }
    // killed while applying or waiting for health: the engine has nothing left to change, but
    // health was never confirmed, so it goes through the slot and the health wait again
    boolean resumed =
        state.revision() == d.revision()
            && state.pushedAt().equals(d.pushedAt())
            && state.state() == State.APPLYING;
    if (!resumed && !converger.hasChanges(spec)) {
      healthy(d, "no change needed");
      return false;
    }
    if (v.control().paused()) {
      report(d.revision(), State.PENDING, "group paused (fleet resume to continue)");
      return false;
    }
    if (v.control().isHalted(d.revision())) {
      Control.Halt h = v.control().halted().get();
      report(
          d.revision(),
          State.PENDING,
          "revision halted: it failed on " + h.node() + " (" + h.message() + "); push a newer one");
      return false;
    }
    if (d.policy().hasCanaries() && v.control().promoted() < d.revision()) {
      int limit = d.policy().canaries(Math.max(1, store.reports().size()));
      if (!v.canaries().has(d.revision(), node) && !store.claimCanary(d.revision(), node, limit)) {
        report(d.revision(), State.PENDING, "waiting for the canaries (fleet promote)");
        return false;
      }
    }
    report(
        d.revision(),
        State.PENDING,
        "waiting for a slot (max_parallel " + d.policy().maxParallel() + ")");
    Optional<Slots.Slot> slot = slots.acquire(d.policy().maxParallel(), settings.slotWait());
    if (slot.isEmpty()) return true;
    try (Slots.Slot held = slot.get()) {
      // while we waited, a newer revision may have come, or a halt, or a pause: look again
      GroupView now = store.read(0, Duration.ZERO);
      if (now.desired().map(Desired::revision).orElse(0L) != d.revision()
          || now.control().paused()
          || now.control().isHalted(d.revision())) return true;
      roll(d, spec);
    }
    return false;
  }

  private static Instant instant(String s) {
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return Instant.EPOCH;
    }
  }

  private static boolean finished(State s) {
    return s == State.HEALTHY || s == State.FAILED || s == State.REVERTED || s == State.INVALID;
  }

  /** Applies and waits for health, holding a slot. */
  private void roll(Desired d, AgentSpec spec) throws InterruptedException {
    report(d.revision(), State.APPLYING, "applying revision " + d.revision());
    remember(d.revision(), State.APPLYING, d.revision(), d.overlay());
    try {
      converger.apply(spec);
    } catch (FleetUnavailableException e) {
      throw e;
    } catch (RuntimeException e) {
      failed(d, "apply failed: " + e.getMessage());
      return;
    }
    HealthTracker t = new HealthTracker(d.policy(), clock.now());
    HealthTracker.Verdict verdict = HealthTracker.Verdict.PENDING;
    while (verdict == HealthTracker.Verdict.PENDING) {
      try {
        verdict = t.observe(clock.now(), converger.health(spec));
      } catch (FleetUnavailableException e) {
        // no answer is no verdict: the deadline waits for the agent (never revert on an outage)
        t.pause(settings.healthInterval());
      }
      if (verdict == HealthTracker.Verdict.PENDING) clock.sleep(settings.healthInterval());
    }
    if (verdict == HealthTracker.Verdict.HEALTHY) {
      healthy(d, "healthy for " + GoDuration.format(d.policy().minHealthyTime()));
      if (d.policy().autoPromote()) maybePromote(d);
    } else {
      failed(d, t.reason());
    }
  }

  private void healthy(Desired d, String message) {
    remember(d.revision(), State.HEALTHY, d.revision(), d.overlay(), d.revision(), d.overlay());
    report(d.revision(), State.HEALTHY, message);
  }

  /** auto_promote: once every canary of the revision reports healthy at it. */
  private void maybePromote(Desired d) {
    GroupView v = store.read(0, Duration.ZERO);
    if (!v.canaries().has(d.revision(), node) || v.control().promoted() >= d.revision()) return;
    long healthy =
        store.reports().stream()
            .filter(r -> r.revision() == d.revision() && r.state() == State.HEALTHY)
            .filter(r -> v.canaries().nodes().contains(r.node()))
            .count();
    int limit = d.policy().canaries(Math.max(1, store.reports().size()));
    if (healthy >= Math.min(limit, v.canaries().nodes().size())
        && v.canaries().nodes().size() >= limit) {
      store.promote(d.revision());
      log.accept("auto_promote: every canary is healthy at revision " + d.revision());
    }
  }

  private void failed(Desired d, String why) {
    try {
      store.halt(new Control.Halt(d.revision(), node, why, clock.now().toString()));
    } catch (FleetUnavailableException e) {
      log.accept("could not mark revision " + d.revision() + " halted: " + e.getMessage());
    }
    if (d.policy().autoRevert() && state.healthyRevision() != d.revision()) {
      long to = state.healthyRevision();
      String overlay = state.healthyOverlay();
      try {
        AgentSpec old =
            ConfigOverlay.apply(baseConfig.get(), overlay.getBytes(StandardCharsets.UTF_8));
        converger.apply(old);
        remember(d.revision(), State.REVERTED, to, overlay);
        report(
            d.revision(),
            State.REVERTED,
            why + "; reverted to " + (to == 0 ? "the VM's own config" : "revision " + to));
        return;
      } catch (RuntimeException e) {
        why = why + "; revert to revision " + to + " failed too: " + e.getMessage();
      }
    }
    remember(d.revision(), State.FAILED, d.revision(), d.overlay());
    report(d.revision(), State.FAILED, why);
  }

  private void remember(long rev, State s, long appliedRev, String applied) {
    remember(rev, s, appliedRev, applied, state.healthyRevision(), state.healthyOverlay());
  }

  private void remember(
      long rev, State s, long appliedRev, String applied, long healthyRev, String healthy) {
    state = new LocalState(rev, s, appliedRev, applied, healthyRev, healthy, seenPushedAt);
    local.save(state);
  }

  private void report(long rev, State s, String message) {
    NodeReport r =
        new NodeReport(node, rev, s, clock.now().toString(), message, state.healthyRevision());
    if (r.sameAs(lastSent)) return;
    log.accept("revision " + rev + ": " + s.wire() + ": " + message);
    unsent = r;
    flush();
  }

  /** Sends the report that could not be sent (Consul was away); keeps it on failure. */
  private void flush() {
    if (unsent == null) return;
    try {
      store.report(unsent);
      lastSent = unsent;
      unsent = null;
    } catch (FleetUnavailableException e) {
      log.accept("report not sent (Consul unavailable): kept for later");
    }
  }
}
