package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.app.RunLock;
import dev.consulvmagent.app.RunOptions;
import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.Roots;
import dev.consulvmagent.testing.TestMirror;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A --root tree someone has planted links in (issue 13, class 1 and 7): whatever the link, a run
 * never writes, chowns or deletes outside the root, and the lock is the root's own.
 */
class CliHostileRootTest {
  static TestMirror mirror;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    mirror = Examples.mirror();
  }

  /** JUnit's temp-dir cleanup trips over the planted links: they go first. */
  @AfterEach
  void removeLinks() throws Exception {
    try (Stream<Path> s = Files.walk(tmp)) {
      for (Path p : s.filter(Files::isSymbolicLink).toList()) Files.delete(p);
    }
  }

  private Run apply(Path root, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "apply",
                "--config",
                Examples.config(tmp, "counting").toString(),
                "--root",
                root.toString(),
                "--mirror",
                mirror.url()));
    a.addAll(List.of(extra));
    CliApplyTest.Run r = CliApplyTest.run(a.toArray(String[]::new));
    return new Run(r.code(), r.out() + r.err());
  }

  record Run(int code, String text) {}

  /** An outside directory with a bait file in it, as the planted link's target. */
  private Path outside() throws Exception {
    Path o = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(o.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    Files.writeString(o.resolve("bait"), "not yours\n");
    return o;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "etc",
        "usr/bin",
        "etc/systemd/system",
        "etc/systemd/system/multi-user.target.wants",
        "etc/consul.d",
        "var/lib/consul-vm-agent",
        "var/lib/consul-vm-agent/cache",
        "var/lib/consul-vm-agent/cache/sha256",
        "var",
        "usr/local/bin",
        "usr/local",
        "etc/consul-vm-agent",
        "etc/consul-vm-agent/envoy",
        "opt/consul-vm-agent",
        "var/lib/consul",
        "srv/consul",
        "etc/systemd"
      })
  void apply_linkPlantedInAManagedDirectory_writesNothingOutsideTheRoot(String where)
      throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    Path out = outside();
    Path link = root.resolve(where);
    Files.createDirectories(link.getParent());
    if (Files.isDirectory(link)) {
      try (Stream<Path> s = Files.walk(link)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
      }
    }
    Files.createSymbolicLink(link, out);
    Map<String, String> before = Roots.snapshot(out);

    Run r = apply(root);

    assertThat(Roots.snapshot(out)).as(r.text()).isEqualTo(before);
    assertThat(r.code()).as(r.text()).isEqualTo(ExitCode.FAILED.code());
    assertThat(r.text()).containsAnyOf("is a symbolic link", "is a symlink").contains("/" + where);
    assertThat(Files.readSymbolicLink(link)).isEqualTo(out);
    try (Stream<Path> s = Files.walk(root)) {
      assertThat(s.map(Path::toString).filter(p -> p.contains(".tmp-")).toList())
          .as("staged, never used")
          .isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "etc/passwd",
        "etc/shadow",
        "etc/consul.d/consul.json",
        "etc/systemd/system/consul.service",
        "usr/bin/consul"
      })
  void apply_linkPlantedAsAManagedFile_isNeverWrittenThrough(String where) throws Exception {
    Path root = Roots.withUsers(Files.createDirectories(tmp.resolve("root")));
    Path out = outside();
    Path link = root.resolve(where);
    Files.createDirectories(link.getParent());
    Files.deleteIfExists(link);
    Files.createSymbolicLink(link, out.resolve("bait"));
    Map<String, String> before = Roots.snapshot(out);

    Run r = apply(root);

    // refused, or replaced by a real file: either way the link's target is untouched
    assertThat(Roots.snapshot(out)).as(r.text()).isEqualTo(before);
    if (r.code() == 0) assertThat(link).isRegularFile().isNotEqualTo(out.resolve("bait"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "etc",
        "etc/systemd/system",
        "etc/systemd/system/multi-user.target.wants",
        "usr/bin",
        "var/lib/consul-vm-agent",
        "var/lib",
        "etc/consul.d"
      })
  void uninstall_withADirectorySwappedForALink_deletesNothingOutside(String where)
      throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    assertThat(apply(root).code()).isZero();
    // the tree's directory moved outside, and a link to it left in its place
    Path out = Files.createDirectories(tmp.resolve("outside"));
    Path moved = out.resolve("moved");
    Files.move(root.resolve(where), moved);
    Files.createSymbolicLink(root.resolve(where), moved);
    Map<String, String> before = Roots.snapshot(out);

    CliApplyTest.Run r = CliApplyTest.run("uninstall", "--root", root.toString());

    assertThat(Roots.snapshot(out)).as(r.out() + r.err()).isEqualTo(before);
    assertThat(Files.isSymbolicLink(root.resolve(where)) || !Files.exists(root.resolve(where)))
        .isTrue();
  }

  @Test
  void uninstall_withEtcSwappedForALink_refusesNamingIt() throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    assertThat(apply(root).code()).isZero();
    Path out = Files.createDirectories(tmp.resolve("outside"));
    Files.move(root.resolve("etc"), out.resolve("etc"));
    Files.createSymbolicLink(root.resolve("etc"), out.resolve("etc"));

    CliApplyTest.Run r = CliApplyTest.run("uninstall", "--root", root.toString());

    assertThat(r.code()).isEqualTo(ExitCode.FAILED.code());
    assertThat(r.err()).contains("is a symbolic link", "/etc");
  }

  @Test
  void uninstall_linkInsideTheStateDirectory_isRemovedNotFollowed() throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    assertThat(apply(root).code()).isZero();
    Path out = outside();
    Files.createSymbolicLink(root.resolve("var/lib/consul-vm-agent/cache/evil"), out);
    Map<String, String> before = Roots.snapshot(out);

    CliApplyTest.Run r = CliApplyTest.run("uninstall", "--root", root.toString());

    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(Roots.snapshot(out)).isEqualTo(before);
    assertThat(root.resolve("var/lib/consul-vm-agent")).doesNotExist();
  }

  @Test
  void lock_isInTheRoot_keyedOnItsRealPath_andLeavesNothingInTmp() throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    Path alias = Files.createSymbolicLink(tmp.resolve("alias"), root);
    List<Path> tmpBefore = tmpLocks();

    assertThat(RunLock.pathFor(options(alias)))
        .isEqualTo(root.toRealPath().resolve("var/lib/consul-vm-agent/run.lock"));
    try (RunLock held = RunLock.acquire(options(alias), Duration.ofSeconds(1))) {
      Run r = apply(root, "--lock-wait", "0");
      assertThat(r.code()).as(r.text()).isEqualTo(ExitCode.LOCKED.code());
    }
    assertThat(apply(root).code()).isZero();
    assertThat(tmpLocks())
        .as("no lock files left in the shared temp directory")
        .isEqualTo(tmpBefore);
  }

  /**
   * --root given as "/" under another name (issue 20): a link to "/", a link to a link to it. Taken
   * as a tree, apply would write the running system's /etc while believing it bakes an image. Plan
   * is used here (it only reads), so the test is safe to run even against a build without the
   * refusal; the refusal comes before the lock and names --root.
   */
  @ParameterizedTest
  @ValueSource(strings = {"one", "two"})
  void root_thatIsSlashUnderAnotherName_isRefusedNamingRoot(String hops) throws Exception {
    Path slash = Files.createSymbolicLink(tmp.resolve("slash"), Path.of("/"));
    Path given =
        hops.equals("one") ? slash : Files.createSymbolicLink(tmp.resolve("slash2"), slash);
    CliApplyTest.Run r =
        CliApplyTest.run(
            "plan",
            "--config",
            Examples.config(tmp, "counting").toString(),
            "--root",
            given.toString(),
            "--mirror",
            mirror.url());

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("--root").contains(given.toString()).contains("--root /");
  }

  /**
   * A bind mount of "/" is "/" under another name without any link (same device and inode). The
   * mount point lives in /run, never under the test's temp directory: no recursive cleanup may ever
   * walk into it. Needs root to mount.
   */
  @Test
  @Tag("root")
  void root_thatIsABindMountOfSlash_isRefusedNamingRoot() throws Exception {
    assumeTrue(Roots.isRoot(), "mounts: needs root (mvn test -P root-tests)");
    Path mnt = Files.createTempDirectory(Path.of("/run"), "cva-bind-");
    try {
      Process m = new ProcessBuilder("mount", "--bind", "/", mnt.toString()).inheritIO().start();
      assertThat(m.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assumeTrue(m.exitValue() == 0, "bind mounts are not allowed here");
      try {
        CliApplyTest.Run r =
            CliApplyTest.run(
                "plan",
                "--config",
                Examples.config(tmp, "counting").toString(),
                "--root",
                mnt.toString(),
                "--mirror",
                mirror.url());
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
        assertThat(r.err()).contains("--root").contains(mnt.toString());
      } finally {
        Process u = new ProcessBuilder("umount", mnt.toString()).inheritIO().start();
        assertThat(u.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
    } finally {
      Files.delete(mnt); // an empty directory once unmounted; never recursive
    }
  }

  @Test
  void lock_plantedAsALink_isRefused_andItsTargetNeverCreated() throws Exception {
    Path root =
        Files.createDirectories(tmp.resolve("root/var/lib/consul-vm-agent"))
            .getParent()
            .getParent()
            .getParent();
    Path target = tmp.resolve("created-by-root");
    Files.createSymbolicLink(root.resolve("var/lib/consul-vm-agent/run.lock"), target);

    Run r = apply(root);

    assertThat(r.code()).as(r.text()).isEqualTo(ExitCode.FAILED.code());
    assertThat(target).doesNotExist();
  }

  @Test
  void tempFilesOfAKilledRun_inTheCacheAndNextToBinaries_areSwept() throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    assertThat(apply(root).code()).isZero();
    Path cache = root.resolve("var/lib/consul-vm-agent/cache/sha256");
    Path partial = Files.writeString(cache.resolve(".0123abcd.tmp-5eed"), "half a download");
    Path staging = Files.writeString(root.resolve("usr/bin/.consul.tmp-5eed"), "half a binary");
    for (Path p : List.of(partial, staging))
      Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis() - 60_000));

    assertThat(apply(root).code()).isZero();

    assertThat(partial).doesNotExist();
    assertThat(staging).doesNotExist();
  }

  private static RunOptions options(Path root) {
    return new RunOptions(
        Optional.empty(), Optional.empty(), root, Optional.empty(), Optional.empty());
  }

  private static List<Path> tmpLocks() throws Exception {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("consul-vm-agent-"))
          .sorted()
          .toList();
    }
  }
}
