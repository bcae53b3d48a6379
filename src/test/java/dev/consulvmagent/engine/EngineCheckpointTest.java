package dev.consulvmagent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.testing.RecordingHost;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * apply's checkpoint (app/InstanceReady is the one the agent has): reached once, as soon as every
 * resource up to its index has converged and before the next is touched; what it removes from the
 * queue never runs, the rest does; never reached after a failure, and its own failure is the run's.
 */
class EngineCheckpointTest {
  @TempDir Path root;

  static final Notification A = Notification.restart("a.service");
  static final Notification B = Notification.restart("b.service");
  static final Notification C = Notification.restart("c.service");

  private List<Resource> files() {
    return List.of(file("/etc/demo/a", A), file("/etc/demo/b", B), file("/etc/demo/c", C));
  }

  private static Resource file(String path, Notification n) {
    return FileResource.at(path, path.getBytes(StandardCharsets.UTF_8)).notify(n).build();
  }

  private boolean exists(String p) {
    return Files.exists(root.resolve(p.substring(1)));
  }

  /** What the checkpoint saw: the files present, the queue, the outcomes so far. */
  private record Seen(List<Boolean> files, List<Notification> queued, int outcomes) {}

  private Checkpoint at(
      int index, List<Seen> seen, Function<Set<Notification>, List<String>> action) {
    return new Checkpoint() {
      @Override
      public int after(List<Planned> plan) {
        return index;
      }

      @Override
      public List<String> reached(Set<Notification> queued, List<Outcome> outcomes) {
        seen.add(
            new Seen(
                List.of(exists("/etc/demo/a"), exists("/etc/demo/b"), exists("/etc/demo/c")),
                List.copyOf(queued),
                outcomes.size()));
        return action.apply(queued);
      }
    };
  }

  private RunResult apply(List<Resource> resources, Checkpoint cp, List<List<Notification>> ran)
      throws Exception {
    RecordingHost host = RecordingHost.withoutProcesses(root);
    Engine e = new Engine(EventSink.NONE);
    Notifier notifier =
        ns -> {
          ran.add(List.copyOf(ns));
          return ns.stream().map(Notification::describe).toList();
        };
    return e.apply(
        new ApplyPlan(e.plan(resources, host), Preparations.none(), Instant.now()),
        host,
        notifier,
        Instant.now(),
        paths -> {},
        cp);
  }

  @Test
  void reachedAfterItsResource_beforeTheNext_andWhatItRemovesNeverRuns() throws Exception {
    List<Seen> seen = new ArrayList<>();
    List<List<Notification>> ran = new ArrayList<>();
    Function<Set<Notification>, List<String>> dropA =
        q -> List.of(q.remove(A) ? "dropped" : "A was not queued");
    RunResult r = apply(files(), at(1, seen, dropA), ran);
    assertThat(r.failed()).as(r.error()).isFalse();
    assertThat(seen).containsExactly(new Seen(List.of(true, true, false), List.of(A, B), 2));
    assertThat(ran).containsExactly(List.of(B, C));
    assertThat(r.actions()).containsExactly("dropped", "restart b.service", "restart c.service");
  }

  @Test
  void minusOne_isBeforeTheFirstResource_theLastIndex_beforeTheNotifications() throws Exception {
    List<Seen> seen = new ArrayList<>();
    List<List<Notification>> ran = new ArrayList<>();
    apply(files(), at(-1, seen, q -> List.of()), ran);
    assertThat(seen).containsExactly(new Seen(List.of(false, false, false), List.of(), 0));
    seen.clear();
    ran.clear();
    Files.delete(root.resolve("etc/demo/a"));
    Files.delete(root.resolve("etc/demo/b"));
    Files.delete(root.resolve("etc/demo/c"));
    apply(
        files(),
        at(
            2,
            seen,
            q -> {
              assertThat(ran).as("the notifications have not run yet").isEmpty();
              return List.of();
            }),
        ran);
    assertThat(seen).containsExactly(new Seen(List.of(true, true, true), List.of(A, B, C), 3));
    assertThat(ran).containsExactly(List.of(A, B, C));
  }

  @Test
  void anUnchangedHost_stillReachesIt_withNothingQueued() throws Exception {
    apply(files(), Checkpoint.NONE, new ArrayList<>());
    List<Seen> seen = new ArrayList<>();
    List<List<Notification>> ran = new ArrayList<>();
    RunResult r = apply(files(), at(1, seen, q -> List.of()), ran);
    assertThat(r.failed()).isFalse();
    assertThat(seen).containsExactly(new Seen(List.of(true, true, true), List.of(), 2));
    assertThat(ran).isEmpty();
  }

  @Test
  void aFailureBeforeIt_itIsNeverReached() throws Exception {
    Files.createDirectories(root.resolve("etc/demo/b")); // a directory where b's file goes
    List<Seen> seen = new ArrayList<>();
    List<List<Notification>> ran = new ArrayList<>();
    RunResult r = apply(files(), at(1, seen, q -> List.of()), ran);
    assertThat(r.failed()).isTrue();
    assertThat(seen).isEmpty();
    assertThat(exists("/etc/demo/c")).as("not attempted after the failure").isFalse();
    assertThat(ran).containsExactly(List.of(A)); // what did change still runs
  }

  @Test
  void itsOwnFailure_failsTheRun_andWhatFollowsIsNotAttempted() throws Exception {
    List<Seen> seen = new ArrayList<>();
    List<List<Notification>> ran = new ArrayList<>();
    Function<Set<Notification>, List<String>> fail =
        q -> {
          throw new IllegalStateException("no signal");
        };
    RunResult r = apply(files(), at(0, seen, fail), ran);
    assertThat(r.failed()).isTrue();
    assertThat(r.error()).isEqualTo("no signal");
    assertThat(exists("/etc/demo/b")).isFalse();
    assertThat(r.outcomes().stream().map(Outcome::status))
        .containsExactly(Outcome.Status.CHANGED, Outcome.Status.SKIPPED, Outcome.Status.SKIPPED);
    assertThat(ran).containsExactly(List.of(A));
  }

  /** An exception without a message still fails the run (its message would be null). */
  @Test
  void itsFailureWithoutAMessage_stillFailsTheRun() throws Exception {
    Function<Set<Notification>, List<String>> npe =
        q -> {
          throw new NullPointerException();
        };
    RunResult r = apply(files(), at(0, new ArrayList<>(), npe), new ArrayList<>());
    assertThat(r.failed()).isTrue();
    assertThat(r.error()).isEqualTo("java.lang.NullPointerException");
    assertThat(exists("/etc/demo/b")).isFalse();
  }
}
