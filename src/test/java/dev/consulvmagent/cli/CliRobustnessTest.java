package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.app.RunLock;
import dev.consulvmagent.app.RunOptions;
import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.Roots;
import dev.consulvmagent.testing.TestMirror;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One run at a time; and an apply killed at any moment leaves nothing half-written. */
class CliRobustnessTest {
  static TestMirror mirror;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    mirror = Examples.mirror();
  }

  private Path config() {
    return Examples.config(tmp, "counting");
  }

  @Test
  void secondRun_waitsForTheLock_thenExits5() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    RunOptions o =
        new RunOptions(
            Optional.empty(), Optional.empty(), root, Optional.empty(), Optional.empty());
    try (RunLock held = RunLock.acquire(o, Duration.ofSeconds(1))) {
      long t0 = System.nanoTime();
      CliApplyTest.Run r =
          CliApplyTest.run(
              "apply",
              "--config",
              config().toString(),
              "--root",
              root.toString(),
              "--lock-wait",
              "1");
      assertThat(r.code()).isEqualTo(ExitCode.LOCKED.code());
      assertThat(r.err()).contains("another consul-vm-agent run holds");
      assertThat(System.nanoTime() - t0).isGreaterThan(900_000_000L);
    }
  }

  private Process applyProcess(Path root, Path cfg) throws Exception {
    List<String> argv =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.consulvmagent.cli.Main"));
    argv.addAll(List.of(CliApplyTest.applyArgs(cfg, root)));
    return new ProcessBuilder(argv)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  /**
   * Every file under root: its bytes' digest and mode (no mtimes: a re-write is allowed after a
   * kill).
   */
  private static Map<String, String> contents(Path root) {
    Map<String, String> m = Roots.snapshot(root);
    m.replaceAll((k, v) -> v.startsWith("file ") ? v.split(" ")[1] + " " + v.split(" ")[4] : v);
    m.keySet().removeIf(k -> k.startsWith("var/lib/consul-vm-agent"));
    return m;
  }

  @Test
  void killedAtRandomMoments_rerunConverges_andNothingIsHalfWritten() throws Exception {
    Path cfg = config();
    Path reference = Roots.forApply(tmp.resolve("reference"));
    assertThat(
            CliApplyTest.run(
                    "apply",
                    "--config",
                    cfg.toString(),
                    "--root",
                    reference.toString(),
                    "--mirror",
                    mirror.url())
                .code())
        .isZero();
    Map<String, String> want = contents(reference);
    Random random = new Random(42);
    for (int round = 0; round < 4; round++) {
      Path root = Roots.forApply(tmp.resolve("killed-" + round));
      Map<String, String> bare = Roots.snapshot(root);
      for (int kill = 0; kill < 3; kill++) {
        Process p = applyProcess(root, cfg);
        Thread.sleep(200 + random.nextInt(1500));
        // a child (systemd-sysusers) outlives the killed agent and finishes its own atomic
        // write; wait for it, so the snapshot below does not race its temp files
        List<ProcessHandle> children = p.descendants().toList();
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        for (ProcessHandle c : children) c.onExit().get(10, TimeUnit.SECONDS);
        // whatever exists at a final path is complete: identical to the converged reference
        Map<String, String> now = contents(root);
        for (Map.Entry<String, String> e : now.entrySet()) {
          String path = e.getKey();
          if (path.contains(".tmp-")
              || !want.containsKey(path)
              || e.getValue().startsWith("dir")
              || e.getValue().startsWith("link")) continue;
          if (path.matches("etc/(passwd|group|shadow|gshadow)-?")) {
            // systemd-sysusers adds one user at a time: a shorter database is complete, not
            // half-written
            for (String line : Files.readAllLines(root.resolve(path))) {
              assertThat(line.split(":", -1).length)
                  .as(path + ": " + line)
                  .isGreaterThanOrEqualTo(4);
            }
            continue;
          }
          assertThat(e.getValue()).as(path + " after a kill").isEqualTo(want.get(path));
        }
      }
      CliApplyTest.Run fin =
          CliApplyTest.run(
              "apply",
              "--config",
              cfg.toString(),
              "--root",
              root.toString(),
              "--mirror",
              mirror.url());
      assertThat(fin.code()).as(fin.out() + fin.err()).isZero();
      assertThat(contents(root)).isEqualTo(want);
      assertThat(
              CliApplyTest.run("apply", "--config", cfg.toString(), "--root", root.toString())
                  .out())
          .contains("No changes");
      // the ledger missed nothing the killed runs created: uninstall leaves the bare root
      CliApplyTest.Run un = CliApplyTest.run("uninstall", "--root", root.toString());
      assertThat(un.code()).as(un.out() + un.err()).isZero();
      assertThat(Roots.snapshot(root)).as("left after uninstall").isEqualTo(bare);
    }
  }
}
