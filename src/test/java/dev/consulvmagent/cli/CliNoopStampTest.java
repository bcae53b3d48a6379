package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.Roots;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The no-op's fast path (app/NoopStamp) through the jar's command line: a no-op leaves a stamp, the
 * next identical apply says what it said without a plan, and whatever a plan would read differently
 * makes the next apply a full one that repairs the host.
 */
class CliNoopStampTest {
  @TempDir Path tmp;
  Path root;
  Path cfg;

  @BeforeEach
  void converge() throws Exception {
    root = Roots.forApply(tmp.resolve("root"));
    String text = Files.readString(Path.of("examples", "dashboard.yaml"));
    cfg = tmp.resolve("dashboard.yaml");
    Files.writeString(cfg, text + "downloads:\n  verify_signatures: false\n" + Examples.INSECURE);
    CliApplyTest.Run first = apply();
    assertThat(first.code()).as(first.out() + first.err()).isZero();
    assertThat(first.out()).contains("Applied:");
    assertThat(stamp()).as("a run that changed things leaves no stamp").doesNotExist();
  }

  private CliApplyTest.Run apply(String... extra) {
    return CliApplyTest.run(CliApplyTest.applyArgs(cfg, root, extra));
  }

  private Path stamp() {
    return root.resolve("var/lib/consul-vm-agent/noop-stamp");
  }

  /** The stamp as written: a full run that stamps writes its own start and end into it. */
  private String stampText() throws Exception {
    return Files.readString(stamp());
  }

  /** A warning line without its clock. */
  private static List<String> lines(String err) {
    return err.lines().map(l -> l.replaceFirst("^\\d\\d:\\d\\d:\\d\\d ", "")).toList();
  }

  /**
   * Files changed less than a coarse clock tick before a run are not stamped (host/InputLog's
   * racily clean entries): the runs here follow each other within milliseconds.
   */
  private static void settle() throws InterruptedException {
    Thread.sleep(120);
  }

  /** A full no-op, stamped: the apply after it is the fast path. */
  private CliApplyTest.Run stamped() throws Exception {
    settle();
    CliApplyTest.Run noop = apply();
    assertThat(noop.code()).isZero();
    assertThat(noop.out()).isEqualTo("No changes. The host matches the configuration.\n");
    assertThat(stamp()).exists();
    assertThat(Files.getPosixFilePermissions(stamp()))
        .containsExactlyInAnyOrderElementsOf(PosixFilePermissions.fromString("rw-------"));
    return noop;
  }

  @Test
  void aNoopAfterANoop_saysTheSame_rewritesTheReport_leavesTheStamp() throws Exception {
    CliApplyTest.Run noop = stamped();
    String stampWas = stampText();
    Path report = root.resolve("var/lib/consul-vm-agent/last-run.json");
    String before = Files.readString(report);

    CliApplyTest.Run fast = apply();
    assertThat(fast.code()).isZero();
    assertThat(fast.out()).isEqualTo(noop.out());
    assertThat(lines(fast.err())).isEqualTo(lines(noop.err())).isNotEmpty(); // the warnings
    // a full run would have removed the stamp and written a new one
    assertThat(stampText()).isEqualTo(stampWas);
    String after = Files.readString(report);
    assertThat(after).isNotEqualTo(before); // this run's times
    assertThat(after.replaceAll("\"(start|end)\" : \"[^\"]+\"", ""))
        .isEqualTo(before.replaceAll("\"(start|end)\" : \"[^\"]+\"", ""));
    assertThat(after).contains("\"changed\" : 0", "\"exit_code\" : 0");
  }

  @Test
  void aManagedFileEditedInPlace_sameSizeAndMtime_isRepaired() throws Exception {
    stamped();
    Path consulJson = root.resolve("etc/consul.d/consul.json");
    byte[] good = Files.readAllBytes(consulJson);
    FileTime mtime = Files.getLastModifiedTime(consulJson);
    String edited = new String(good, StandardCharsets.UTF_8).replace("dashboard", "dashbaord");
    assertThat(edited).hasSameSizeAs(new String(good, StandardCharsets.UTF_8));
    Files.writeString(consulJson, edited); // same inode, same size
    Files.setLastModifiedTime(consulJson, mtime); // and the old mtime: only ctime tells

    CliApplyTest.Run r = apply();
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("file:/etc/consul.d/consul.json").contains("Applied:");
    assertThat(Files.readAllBytes(consulJson)).isEqualTo(good);
  }

  @Test
  void aDeletedUnit_isWrittenAgain() throws Exception {
    stamped();
    Path unit = root.resolve("etc/systemd/system/consul.service");
    Files.delete(unit);
    CliApplyTest.Run r = apply();
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("consul.service").contains("Applied:");
    assertThat(unit).exists();
  }

  @Test
  void aFileAddedToAListedDirectory_runsInFull() throws Exception {
    stamped();
    String stampWas = stampText();
    Files.writeString(root.resolve("etc/consul.d/extra.hcl"), "# someone else's\n");
    settle();
    CliApplyTest.Run r = apply();
    assertThat(r.code()).isZero();
    // the full run removed the old stamp and, changing nothing, left a new one
    assertThat(stamp()).exists();
    assertThat(stampText()).isNotEqualTo(stampWas);
  }

  @Test
  void anEditedConfig_isApplied() throws Exception {
    stamped();
    Files.writeString(cfg, Files.readString(cfg).replace("datacenter: dc1", "datacenter: dc2"));
    CliApplyTest.Run r = apply();
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("Applied:");
    assertThat(Files.readString(root.resolve("etc/consul.d/consul.json"))).contains("dc2");
  }

  @Test
  void anotherCommandLine_runsInFull_andVerboseNeverStamps() throws Exception {
    stamped();
    String stampWas = stampText();
    CliApplyTest.Run verbose = apply("--verbose");
    assertThat(verbose.code()).isZero();
    assertThat(stamp()).as("a run that is not keyed removes the stamp").doesNotExist();
    settle();
    apply();
    assertThat(stampText()).isNotEqualTo(stampWas);
  }

  @Test
  void aStampThatIsNotOne_isAFullRun() throws Exception {
    stamped();
    Files.writeString(stamp(), "consul-vm-agent no-op stamp 1\nkey x\npath ENTRY\n");
    CliApplyTest.Run r = apply();
    assertThat(r.code()).isZero();
    assertThat(r.out()).isEqualTo("No changes. The host matches the configuration.\n");
    assertThat(Files.readString(stamp())).contains("\npath ");
    assertThat(Files.readString(stamp())).doesNotContain("key x");
  }
}
