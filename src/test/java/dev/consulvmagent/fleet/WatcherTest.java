package dev.consulvmagent.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.fleet.HealthTracker.Sample;
import dev.consulvmagent.fleet.NodeReport.State;
import dev.consulvmagent.spec.AgentSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The watcher's state machine on a fake clock, with test doubles of its ports (the store, the
 * semaphore, the engine): what it reports, applies, halts and reverts for each situation of issue
 * 22. The real Consul side is in the *RealTest classes.
 */
class WatcherTest {
  static final String OK =
      "service:\n  annotations:\n    consul.hashicorp.com/service-meta-team: blue\n";
  static final String OK2 =
      "service:\n  annotations:\n    consul.hashicorp.com/service-meta-team: red\n";
  static final RolloutPolicy FAST =
      new RolloutPolicy(1, Duration.ofSeconds(10), Duration.ofSeconds(60), false, 0, 0, false);
  static final RolloutPolicy REVERT =
      new RolloutPolicy(1, Duration.ofSeconds(10), Duration.ofSeconds(60), true, 0, 0, false);

  InMemoryGroupStoreDouble store;
  FakeClock clock;
  FakeSlots slots;
  byte[] base;
  List<String> log;

  @BeforeEach
  void setUp() throws IOException {
    store = new InMemoryGroupStoreDouble();
    clock = new FakeClock();
    slots = new FakeSlots();
    log = new ArrayList<>();
    base =
        (Files.readString(Path.of("examples/dashboard.yaml")) + "fleet:\n  group: dashboard\n")
            .getBytes(StandardCharsets.UTF_8);
  }

  static final class FakeClock implements Clock {
    Instant now = Instant.parse("2026-12-07T00:00:00Z");
    Duration slept = Duration.ZERO;
    List<Duration> sleeps = new ArrayList<>();

    @Override
    public Instant now() {
      return now;
    }

    @Override
    public void sleep(Duration d) {
      sleeps.add(d);
      slept = slept.plus(d);
      now = now.plus(d);
    }
  }

  static final class FakeSlots implements Slots {
    int held;
    int max;
    int taken;
    boolean queued; // waiting in the semaphore's queue (ConsulSemaphore keeps its contender key)
    int withdrawals;

    @Override
    public Optional<Slot> acquire(int limit, Duration wait) {
      if (held >= limit) {
        queued = true;
        return Optional.empty();
      }
      queued = false;
      held++;
      taken++;
      max = Math.max(max, held);
      return Optional.of(() -> held--);
    }

    @Override
    public void withdraw() {
      if (queued) withdrawals++;
      queued = false;
    }
  }

  /** The engine double: whether there are changes, whether apply fails, health samples. */
  static final class FakeConverger implements Converger {
    boolean changes = true;
    String failApply;
    Deque<Sample> health = new ArrayDeque<>();
    Sample steady = Sample.PASSING;
    boolean agentDown;
    final List<String> applied = new ArrayList<>();

    @Override
    public boolean hasChanges(AgentSpec spec) {
      return changes;
    }

    boolean locked;

    @Override
    public void apply(AgentSpec spec) {
      if (locked) throw new FleetUnavailableException("another run holds the lock (double)");
      applied.add(spec.service().get().mesh().meta().getOrDefault("team", "?"));
      if (failApply != null && applied.size() == 1) throw new IllegalStateException(failApply);
    }

    @Override
    public Sample health(AgentSpec spec) {
      if (agentDown) throw new FleetUnavailableException("agent down (double)");
      return health.isEmpty() ? steady : health.poll();
    }
  }

  static final class MemLocal implements LocalState.Store {
    LocalState s;

    @Override
    public Optional<LocalState> load() {
      return Optional.ofNullable(s);
    }

    @Override
    public void save(LocalState st) {
      s = st;
    }
  }

  Watcher watcher(String node, FakeConverger c, MemLocal local) {
    return new Watcher(
        node,
        store,
        slots,
        c,
        local,
        () -> base,
        clock,
        log::add,
        new Watcher.Settings(Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1)));
  }

  static Desired rev(long n, String overlay, RolloutPolicy p) {
    return new Desired(
        n, overlay, p, Instant.parse("2026-12-07T00:00:00Z").plusSeconds(n).toString(), n - 1);
  }

  @Test
  void aChange_isAppliedInASlot_healthyAfterMinHealthyTime_thenReported() throws Exception {
    FakeConverger c = new FakeConverger();
    MemLocal local = new MemLocal();
    store.push(rev(1, OK, FAST));
    watcher("web-1", c, local).run(BlockingIndex.standard(), 1);
    assertThat(c.applied).containsExactly("blue");
    assertThat(slots.taken).isEqualTo(1);
    assertThat(slots.held).isZero();
    NodeReport r = store.reports.get("web-1");
    assertThat(r.state()).isEqualTo(State.HEALTHY);
    assertThat(r.revision()).isEqualTo(1);
    assertThat(r.healthyRevision()).isEqualTo(1);
    assertThat(store.history).extracting(NodeReport::state).contains(State.APPLYING);
    assertThat(local.s.appliedOverlay()).isEqualTo(OK);
    assertThat(local.s.healthyRevision()).isEqualTo(1);
    assertThat(clock.slept).isGreaterThanOrEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void noChange_isHealthyWithoutASlot() throws Exception {
    FakeConverger c = new FakeConverger();
    c.changes = false;
    store.push(rev(1, OK, FAST));
    watcher("web-1", c, new MemLocal()).run(BlockingIndex.standard(), 1);
    assertThat(slots.taken).isZero();
    assertThat(c.applied).isEmpty();
    assertThat(store.reports.get("web-1").state()).isEqualTo(State.HEALTHY);
  }

  @Test
  void killedWhileWaitingForHealth_checksHealthAgain_beforeReportingHealthy() throws Exception {
    FakeConverger c = new FakeConverger();
    c.changes = false; // the apply before the kill left nothing to change
    c.steady = Sample.CRITICAL;
    MemLocal local = new MemLocal();
    Desired d = rev(2, OK, FAST);
    local.s = new LocalState(2, State.APPLYING, 2, OK, 0, "", d.pushedAt());
    store.push(d);
    watcher("web-1", c, local).run(BlockingIndex.standard(), 1);
    assertThat(slots.taken).isEqualTo(1);
    assertThat(store.reports.get("web-1").state()).isEqualTo(State.FAILED);
    assertThat(store.control.isHalted(2)).isTrue();
  }

  @Test
  void aLocalApplyHoldingTheLock_isNoFailure_theWatcherTriesAgain() throws Exception {
    FakeConverger c = new FakeConverger();
    c.locked = true;
    MemLocal local = new MemLocal();
    store.push(rev(1, OK, REVERT));
    Watcher w = watcher("web-1", c, local);
    w.run(BlockingIndex.standard(), 1);
    assertThat(store.control.halted()).isEmpty();
    assertThat(slots.held).isZero();
    assertThat(store.reports.get("web-1").state()).isEqualTo(State.APPLYING);
    c.locked = false;
    w.run(BlockingIndex.standard(), 1);
    assertThat(store.reports.get("web-1").state()).isEqualTo(State.HEALTHY);
    assertThat(c.applied).containsExactly("blue");
  }

  @Test
  void anInvalidRevision_isReportedInvalid_andNothingIsApplied() throws Exception {
    FakeConverger c = new FakeConverger();
    MemLocal local = new MemLocal();
    store.push(rev(1, "consul:\n  role: server\n", FAST));
    watcher("web-1", c, local).run(BlockingIndex.standard(), 2);
    assertThat(c.applied).isEmpty();
    assertThat(slots.taken).isZero();
    NodeReport r = store.reports.get("web-1");
    assertThat(r.state()).isEqualTo(State.INVALID);
    assertThat(r.message()).contains("overlay.consul.role");
    assertThat(store.history).hasSize(1); // reported once, not on every read
  }

  @Test
  void aFailure_haltsTheRevision_andAutoRevertReappliesTheLastHealthy() throws Exception {
    FakeConverger c = new FakeConverger();
    MemLocal local = new MemLocal();
    Watcher w = watcher("web-1", c, local);
    store.push(rev(1, OK, REVERT));
    w.run(BlockingIndex.standard(), 1);
    c.steady = Sample.CRITICAL;
    store.push(rev(2, OK2, REVERT));
    w.run(BlockingIndex.standard(), 1);
    assertThat(c.applied).containsExactly("blue", "red", "blue");
    NodeReport r = store.reports.get("web-1");
    assertThat(r.state()).isEqualTo(State.REVERTED);
    assertThat(r.revision()).isEqualTo(2);
    assertThat(r.message()).contains("healthy_deadline").contains("reverted to revision 1");
    assertThat(store.control.isHalted(2)).isTrue();
    assertThat(local.s.appliedRevision()).isEqualTo(1);
    assertThat(local.s.appliedOverlay()).isEqualTo(OK);
    // the revision is done for this node: more reads change nothing, no revert loop
    w.run(BlockingIndex.standard(), 3);
    assertThat(c.applied).hasSize(3);

    // another VM of the group does not start the halted revision
    FakeConverger c2 = new FakeConverger();
    watcher("web-2", c2, new MemLocal()).run(BlockingIndex.standard(), 1);
    assertThat(c2.applied).isEmpty();
    assertThat(store.reports.get("web-2").state()).isEqualTo(State.PENDING);
    assertThat(store.reports.get("web-2").message()).contains("halted").contains("web-1");
  }

  @Test
  void aFailedApply_withoutAutoRevert_isFailed_andHalted() throws Exception {
    FakeConverger c = new FakeConverger();
    c.failApply = "download of dashboard failed: HTTP 404";
    store.push(rev(3, OK, FAST));
    watcher("web-1", c, new MemLocal()).run(BlockingIndex.standard(), 1);
    assertThat(store.reports.get("web-1").state()).isEqualTo(State.FAILED);
    assertThat(store.reports.get("web-1").message()).contains("HTTP 404");
    assertThat(store.control.halted().get().node()).isEqualTo("web-1");
  }

  @Test
  void autoRevert_toTheSameRevision_isNoLoop() throws Exception {
    FakeConverger c = new FakeConverger();
    MemLocal local = new MemLocal();
    local.s =
        new LocalState(
            4, State.APPLYING, 4, OK, 4, OK, "2026-12-07T00:00:00Z"); // restarted mid-health-wait
    c.steady = Sample.WARNING;
    store.push(rev(4, OK, REVERT));
    watcher("web-1", c, local).run(BlockingIndex.standard(), 1);
    assertThat(c.applied).containsExactly("blue"); // no second apply of the same revision
    assertThat(store.reports.get("web-1").state()).isEqualTo(State.FAILED);
  }

  @Test
  void anOlderRevisionAfterANewer_isNeverStarted() throws Exception {
    FakeConverger c = new FakeConverger();
    Watcher w = watcher("web-1", c, new MemLocal());
    store.push(rev(5, OK2, FAST));
    w.run(BlockingIndex.standard(), 1);
    store.push(rev(4, OK, FAST)); // e.g. a stale read after a restore
    w.run(BlockingIndex.standard(), 1);
    assertThat(c.applied).containsExactly("red");
    assertThat(store.reports.get("web-1").revision()).isEqualTo(5);
  }

  @Test
  void aLowerNumberPushedLater_isANewHistory_andIsApplied() throws Exception {
    FakeConverger c = new FakeConverger();
    Watcher w = watcher("web-1", c, new MemLocal());
    store.push(rev(5, OK2, FAST));
    w.run(BlockingIndex.standard(), 1);
    // Consul lost its data; the first push of the new cluster is revision 1, pushed later
    store.push(new Desired(1, OK, FAST, "2026-12-08T00:00:00Z", 0));
    w.run(BlockingIndex.standard(), 1);
    assertThat(c.applied).containsExactly("red", "blue");
    assertThat(store.reports.get("web-1").revision()).isEqualTo(1);
  }

  @Test
  void consulDown_backsOffCapped_keepsTheRevision_neverReverts() throws Exception {
    FakeConverger c = new FakeConverger();
    MemLocal local = new MemLocal();
    Watcher w = watcher("web-1", c, local);
    store.push(rev(1, OK, REVERT));
    w.run(BlockingIndex.standard(), 1);
    store.down = true;
    int before = store.reads;
    w.run(BlockingIndex.standard(), 20);
    assertThat(store.reads - before).isEqualTo(20); // one read per back-off, no spin
    assertThat(clock.sleeps.subList(clock.sleeps.size() - 3, clock.sleeps.size()))
        .containsOnly(Duration.ofSeconds(180));
    assertThat(local.s.appliedRevision()).isEqualTo(1);
    assertThat(c.applied).containsExactly("blue");
    assertThat(log)
        .anyMatch(l -> l.contains("Consul unavailable") && l.contains("keeping revision 1"));
  }

  @Test
  void theLocalAgentDown_duringTheHealthWait_isNoVerdict() throws Exception {
    FakeConverger c = new FakeConverger();
    c.agentDown = true;
    MemLocal local = new MemLocal();
    store.push(rev(1, OK, REVERT));
    Thread t =
        new Thread(
            () -> {
              try {
                watcher("web-1", c, local).run(BlockingIndex.standard(), 1);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    t.start();
    // far past healthy_deadline on the fake clock, the agent comes back
    while (clock.now.isBefore(Instant.parse("2026-12-07T00:10:00Z"))) Thread.sleep(1);
    c.agentDown = false;
    t.join(10_000);
    assertThat(t.isAlive()).isFalse();
    assertThat(store.reports.get("web-1").state()).isEqualTo(State.HEALTHY);
    assertThat(store.control.halted()).isEmpty();
  }

  @Test
  void aPausedGroup_startsNothing() throws Exception {
    FakeConverger c = new FakeConverger();
    store.control = store.control.withPaused(true);
    store.push(rev(1, OK, FAST));
    watcher("web-1", c, new MemLocal()).run(BlockingIndex.standard(), 1);
    assertThat(c.applied).isEmpty();
    assertThat(store.reports.get("web-1").message()).contains("paused");
  }

  @Test
  void canaries_applyFirst_theRestWaitForPromote_autoPromoteReleasesThem() throws Exception {
    RolloutPolicy canary =
        new RolloutPolicy(2, Duration.ofSeconds(10), Duration.ofSeconds(60), false, 1, 0, false);
    store.reports.put("web-1", new NodeReport("web-1", 0, State.HEALTHY, "", "", 0));
    store.reports.put("web-2", new NodeReport("web-2", 0, State.HEALTHY, "", "", 0));
    store.push(rev(1, OK, canary));
    FakeConverger c1 = new FakeConverger(), c2 = new FakeConverger();
    Watcher w1 = watcher("web-1", c1, new MemLocal());
    Watcher w2 = watcher("web-2", c2, new MemLocal());
    w1.run(BlockingIndex.standard(), 1);
    w2.run(BlockingIndex.standard(), 1);
    assertThat(c1.applied).hasSize(1);
    assertThat(c2.applied).isEmpty();
    assertThat(store.reports.get("web-2").message()).contains("canaries");
    store.promote(1); // fleet promote
    w2.run(BlockingIndex.standard(), 1);
    assertThat(c2.applied).hasSize(1);

    // auto_promote: the canary promotes once healthy
    RolloutPolicy auto =
        new RolloutPolicy(2, Duration.ofSeconds(10), Duration.ofSeconds(60), false, 1, 0, true);
    store.push(rev(2, OK2, auto));
    w1.run(BlockingIndex.standard(), 1);
    assertThat(store.control.promoted()).isEqualTo(2);
    w2.run(BlockingIndex.standard(), 1);
    assertThat(c2.applied).hasSize(2);
  }

  @Test
  void maxParallel_isTheSlotLimit_andAFullSemaphoreMeansWaiting() throws Exception {
    FakeConverger c = new FakeConverger();
    slots.held = 1; // someone else holds the only slot
    store.push(rev(1, OK, FAST));
    Watcher w = watcher("web-1", c, new MemLocal());
    w.run(BlockingIndex.standard(), 2);
    assertThat(c.applied).isEmpty();
    assertThat(store.reports.get("web-1").message()).contains("waiting for a slot");
    slots.held = 0;
    w.run(BlockingIndex.standard(), 1);
    assertThat(c.applied).hasSize(1);
    assertThat(slots.max).isEqualTo(1);
  }

  /** A waiter keeps its place between slot waits, and leaves the queue once it wants no slot. */
  @Test
  void aWaiterStaysQueuedWhileItWaits_andWithdrawsWhenTheGroupIsPaused() throws Exception {
    FakeConverger c = new FakeConverger();
    slots.held = 1;
    store.push(rev(1, OK, FAST));
    Watcher w = watcher("web-1", c, new MemLocal());
    w.run(BlockingIndex.standard(), 3);
    assertThat(slots.queued).isTrue();
    assertThat(slots.withdrawals).isZero();
    store.control = store.control.withPaused(true);
    w.run(BlockingIndex.standard(), 1);
    assertThat(slots.queued).isFalse();
    assertThat(slots.withdrawals).isEqualTo(1);
    assertThat(c.applied).isEmpty();
  }
}
