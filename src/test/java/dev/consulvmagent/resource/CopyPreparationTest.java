package dev.consulvmagent.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.engine.ApplyPlan;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Observed;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.host.MutationDuringPlanException;
import dev.consulvmagent.host.ProcessExec;
import dev.consulvmagent.testing.Roots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's copy of its own jar is made while the downloads run (a preparation): staged in a temp
 * file next to the destination with the source's mtime, invisible to observe, renamed over the
 * destination by converge (no second copy), removed by discardPreparation after a failed run; and
 * when only the mode differs nothing is copied at all.
 */
class CopyPreparationTest {
  @TempDir Path tmp;
  Path root;
  Path source;
  Host host;
  static final String DEST = "/opt/consul-vm-agent/consul-vm-agent.jar";

  @BeforeEach
  void setUp() throws Exception {
    root = Roots.forApply(tmp.resolve("root"));
    source = Files.write(tmp.resolve("agent.jar"), new byte[300_000]);
    Files.setLastModifiedTime(source, FileTime.fromMillis(1_700_000_000_123L));
    host = Host.of(new HostFs(root, false), new ProcessExec(), false);
  }

  private List<String> dir() throws Exception {
    Path d = root.resolve("opt/consul-vm-agent");
    if (!Files.isDirectory(d)) return List.of();
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void staged_whileInvisible_thenRenamedByConverge() throws Exception {
    CopyResource r = new CopyResource(source, DEST);
    assertThat(r.hasPreparation()).isTrue();
    r.prepare(host);
    assertThat(dir()).singleElement().asString().startsWith(".consul-vm-agent.jar.tmp-");
    Path staged = root.resolve("opt/consul-vm-agent").resolve(dir().get(0));
    // the temp's mtime is its own (now) until the rename: the run's stale-temp sweep reads it
    assertThat(Files.getLastModifiedTime(staged).toMillis())
        .isGreaterThan(System.currentTimeMillis() - 60_000);
    Observed before = r.observe(host.readOnly());
    assertThat(before).isInstanceOf(Observed.Absent.class);

    r.converge(host, before);
    assertThat(dir()).containsExactly("consul-vm-agent.jar");
    Path dest = root.resolve(DEST.substring(1));
    assertThat(Files.readAllBytes(dest)).isEqualTo(Files.readAllBytes(source));
    assertThat(Files.getLastModifiedTime(dest).toMillis()).isEqualTo(1_700_000_000_123L);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dest)))
        .isEqualTo("rw-r--r--");
    r.discardPreparation(); // after converge: nothing left to discard, nothing removed
    assertThat(dir()).containsExactly("consul-vm-agent.jar");
  }

  /**
   * The engine's apply sweeps temps older than the run before converging; a copy staged early (by
   * planForApply, while the downloads run) is the run's own and must survive it. It did not while
   * the staged temp carried the source's old mtime (scripts/bench: 3 runs in 6 failed).
   */
  @Test
  void aCopyStagedEarly_survivesTheRunsStaleTempSweep() throws Exception {
    Engine engine = new Engine(EventSink.NONE);
    ApplyPlan plan =
        engine.planForApply(List.of(new CopyResource(source, DEST)), host, paths -> {});
    for (int i = 0; i < 200 && dir().stream().noneMatch(n -> n.contains(".tmp-")); i++) {
      Thread.sleep(10); // the staging is done before the sweep runs
    }
    assertThat(dir()).singleElement().asString().contains(".tmp-");
    RunResult r = engine.apply(plan, host, n -> List.of(), Instant.now(), paths -> {});
    assertThat(r.failed()).as(r.error()).isFalse();
    assertThat(dir()).containsExactly("consul-vm-agent.jar");
    assertThat(Files.getLastModifiedTime(root.resolve(DEST.substring(1))).toMillis())
        .isEqualTo(1_700_000_000_123L);
  }

  @Test
  void aRunThatFailsBeforeConverge_leavesNoStagedCopy() throws Exception {
    CopyResource r = new CopyResource(source, DEST);
    r.prepare(host);
    assertThat(dir()).hasSize(1);
    r.discardPreparation();
    assertThat(dir()).isEmpty();
  }

  @Test
  void onlyTheModeDiffers_nothingIsCopied() throws Exception {
    CopyResource first = new CopyResource(source, DEST);
    first.converge(host, first.observe(host.readOnly()));
    Path dest = root.resolve(DEST.substring(1));
    Files.setPosixFilePermissions(dest, PosixFilePermissions.fromString("rw-------"));
    CopyResource again = new CopyResource(source, DEST);
    again.prepare(host);
    assertThat(dir()).containsExactly("consul-vm-agent.jar");
    again.converge(host, again.observe(host.readOnly()));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dest)))
        .isEqualTo("rw-r--r--");
  }

  @Test
  void preparingThroughTheReadOnlyHost_isRefused() {
    CopyResource r = new CopyResource(source, DEST);
    assertThatThrownBy(() -> r.prepare(host.readOnly()))
        .isInstanceOf(MutationDuringPlanException.class);
  }
}
