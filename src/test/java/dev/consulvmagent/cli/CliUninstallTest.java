package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.Roots;
import dev.consulvmagent.testing.TestMirror;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * uninstall leaves a root as it was before the first apply, apart from what the agent never owned.
 */
class CliUninstallTest {
  static TestMirror mirror;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    mirror = Examples.mirror();
  }

  private Path config(String example) {
    return Examples.config(tmp, example);
  }

  /** A bare root: the users are created (systemd-sysusers) and removed (userdel) for real. */
  @Test
  @Tag("root")
  void uninstall_afterApply_restoresABareRoot() throws Exception {
    assumeTrue(
        Roots.isRoot(), "creates and deletes users for real: needs root (mvn test -P root-tests)");
    Path root = Files.createDirectories(tmp.resolve("root"));
    Map<String, String> before = Roots.snapshot(root);
    assertThat(
            CliApplyTest.run(
                    "apply",
                    "--config",
                    config("dashboard").toString(),
                    "--root",
                    root.toString(),
                    "--mirror",
                    mirror.url())
                .code())
        .isZero();
    CliApplyTest.Run plan = CliApplyTest.run("uninstall", "--plan", "--root", root.toString());
    assertThat(plan.code()).isZero();
    assertThat(plan.out())
        .contains(
            "- remove:/usr/bin/consul",
            "- remove:/etc/consul.d/consul.json",
            "- remove:/etc/passwd");
    assertThat(Roots.snapshot(root))
        .as("--plan removes nothing")
        .isNotEqualTo(before)
        .containsKey("usr/bin/consul");
    CliApplyTest.Run r = CliApplyTest.run("uninstall", "--root", root.toString());
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(Roots.snapshot(root)).isEqualTo(before);
  }

  @Test
  void uninstall_keepsWhatTheAgentNeverOwned() throws Exception {
    Path root = Roots.withUsers(Files.createDirectories(tmp.resolve("root")));
    Files.createDirectories(root.resolve("usr/bin"));
    Files.writeString(root.resolve("usr/bin/vim"), "not ours");
    Map<String, String> before = Roots.snapshot(root);
    assertThat(
            CliApplyTest.run(
                    "apply",
                    "--config",
                    config("counting").toString(),
                    "--root",
                    root.toString(),
                    "--mirror",
                    mirror.url())
                .code())
        .isZero();
    Files.writeString(root.resolve("etc/consul.d/operator-added.hcl"), "# someone else's\n");
    assertThat(CliApplyTest.run("uninstall", "--root", root.toString()).code()).isZero();
    Map<String, String> after = Roots.snapshot(root);
    assertThat(after).containsKeys("usr/bin/vim", "etc/consul.d/operator-added.hcl", "etc/passwd");
    after.remove("etc/consul.d");
    after.remove("etc/consul.d/operator-added.hcl");
    assertThat(after).isEqualTo(before);
    // users it did not create stay
    assertThat(Files.readString(root.resolve("etc/passwd"))).contains("consul:x:");
  }

  /**
   * A binary the agent installed and recorded, then replaced by someone else (an admin's own build,
   * a package): uninstall compares it with the receipt's sha256 and keeps it, saying so; the
   * untouched one goes (issue 20).
   */
  @Test
  void uninstall_keepsABinaryReplacedAfterInstall_comparingTheReceipt() throws Exception {
    Path root = Roots.withUsers(Files.createDirectories(tmp.resolve("root")));
    assertThat(
            CliApplyTest.run(
                    "apply",
                    "--config",
                    config("counting").toString(),
                    "--root",
                    root.toString(),
                    "--mirror",
                    mirror.url())
                .code())
        .isZero();
    assertThat(root.resolve("usr/bin/envoy")).exists();
    Files.writeString(root.resolve("usr/bin/consul"), "#!/bin/sh\n# the admin's own build\n");

    CliApplyTest.Run r = CliApplyTest.run("uninstall", "--root", root.toString());

    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out() + r.err())
        .contains("/usr/bin/consul was replaced after consul-vm-agent installed it")
        .contains("keeping it");
    assertThat(Files.readString(root.resolve("usr/bin/consul"))).contains("the admin's own build");
    assertThat(root.resolve("usr/bin/envoy")).as("the untouched binary goes").doesNotExist();
  }
}
