package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.Roots;
import dev.consulvmagent.testing.TestMirror;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The jar's commands, in process, against temp roots and a local mirror of test doubles. */
class CliApplyTest {
  static TestMirror mirror;
  @TempDir Path tmp;

  record Run(int code, String out, String err) {}

  @BeforeAll
  static void start() {
    mirror = Examples.mirror();
  }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    // the way main runs it: the quick path for apply/plan/validate, picocli for the rest
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  /**
   * An example config with signature checks off (the mirror's doubles are not HashiCorp-signed).
   */
  private Path config(String example, String... replace) throws Exception {
    String text = Files.readString(Path.of("examples", example + ".yaml"));
    for (int i = 0; i < replace.length; i += 2) text = text.replace(replace[i], replace[i + 1]);
    Path p = tmp.resolve(example + ".yaml");
    Files.writeString(p, text + "downloads:\n  verify_signatures: false\n" + Examples.INSECURE);
    return p;
  }

  private Run apply(Path cfg, Path root, String... extra) {
    return run(applyArgs(cfg, root, extra));
  }

  /** apply's command line for cfg under root with the test mirror, then extra. */
  static String[] applyArgs(Path cfg, Path root, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "apply",
                "--config",
                cfg.toString(),
                "--root",
                root.toString(),
                "--mirror",
                Examples.mirror().url()));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  @ParameterizedTest
  @ValueSource(strings = {"consul-server", "dashboard", "counting"})
  void applyTwice_firstCreatesEverything_secondChangesNothing(String example) throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    Path cfg = config(example);
    Run first = apply(cfg, root);
    assertThat(first.code()).as(first.out() + first.err()).isZero();
    assertThat(root.resolve("etc/consul.d/consul.json")).exists();
    assertThat(root.resolve("usr/bin/consul")).isExecutable();
    assertThat(
            Files.readSymbolicLink(
                root.resolve("etc/systemd/system/multi-user.target.wants/consul.service")))
        .isEqualTo(Path.of("/etc/systemd/system/consul.service"));
    assertThat(Files.getAttribute(root.resolve("etc/consul.d/consul.json"), "unix:mode"))
        .isEqualTo(0100640);
    if (!example.equals("consul-server")) {
      assertThat(root.resolve("etc/consul.d/service-registration.json")).exists();
      assertThat(
              root.resolve(
                  "etc/systemd/system/multi-user.target.wants/envoy@" + example + ".service"))
          .isSymbolicLink();
      assertThat(root.resolve("usr/local/bin/" + example + "-service")).isExecutable();
    }
    Map<String, String> before = Roots.snapshot(root);
    mirror.requests.clear();
    Run second = apply(cfg, root, "--output", "json");
    assertThat(second.code()).isZero();
    assertThat(second.out()).contains("\"changed\" : 0");
    assertThat(mirror.requests).as("a converged re-run downloads nothing").isEmpty();
    Map<String, String> after = Roots.snapshot(root);
    before.remove("var/lib/consul-vm-agent/last-run.json");
    after.remove("var/lib/consul-vm-agent/last-run.json");
    assertThat(after).isEqualTo(before);
  }

  @Test
  void changingTheDatacenter_changesExactlyTheAgentConfig() throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    assertThat(apply(config("dashboard"), root).code()).isZero();
    Map<String, String> before = Roots.snapshot(root);
    Path dc2 = config("dashboard", "datacenter: dc1", "datacenter: dc2");
    Run plan =
        run("plan", "--config", dc2.toString(), "--root", root.toString(), "--detailed-exitcode");
    assertThat(plan.code()).isEqualTo(ExitCode.CHANGES_PENDING.code());
    assertThat(plan.out())
        .contains(
            "~ file:/etc/consul.d/consul.json",
            "set json.datacenter to \"dc2\" (was \"dc1\")",
            "Plan: 1 resource(s) to change.");
    // and what apply will then set in motion, in words (under --root: said, but not done)
    assertThat(plan.out())
        .contains(
            "Then:\n  (not under --root) Consul will re-read its configuration if it runs"
                + " (consul reload)\nPlan: 1")
        .doesNotContain("Envoy for");
    assertThat(Roots.snapshot(root)).as("plan touches nothing").isEqualTo(before);
    assertThat(apply(dc2, root).code()).isZero();
    Map<String, String> after = Roots.snapshot(root);
    List<String> changed = new ArrayList<>();
    after.forEach(
        (k, v) -> {
          if (!v.equals(before.get(k))) changed.add(k);
        });
    assertThat(changed)
        .containsExactlyInAnyOrder(
            "etc/consul.d/consul.json", "var/lib/consul-vm-agent/last-run.json");
  }

  @Test
  void secrets_neverAppearInPlanOrResult() throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    String key = "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=";
    Path cfg =
        config(
            "dashboard",
            "datacenter: dc1",
            "datacenter: dc1\n  encrypt: "
                + key
                + "\n  acl_token: 3f1e6c3a-0000-4000-8000-00000000abcd");
    Run plan =
        run("plan", "--config", cfg.toString(), "--root", root.toString(), "--output", "json");
    Run apply = apply(cfg, root);
    assertThat(apply.code()).isZero();
    assertThat(
            plan.out()
                + apply.out()
                + apply.err()
                + Files.readString(root.resolve("var/lib/consul-vm-agent/last-run.json")))
        .doesNotContain(key)
        .doesNotContain("3f1e6c3a-0000");
    assertThat(Files.getAttribute(root.resolve("etc/consul.d/secrets.json"), "unix:mode"))
        .isEqualTo(0100640);
    assertThat(Files.readString(root.resolve("etc/consul.d/secrets.json"))).contains(key);
  }

  @Test
  void userData_cloudConfigAndVagrantStyleMime_giveTheSameResult() throws Exception {
    Path cfg = config("counting");
    String yaml = Files.readString(cfg).indent(6);
    Path ud = tmp.resolve("user-data");
    Files.writeString(
        ud,
        "#cloud-config\n"
            + "write_files:\n"
            + "  - path: /etc/consul-vm-agent/agent.yaml\n"
            + "    permissions: '0600'\n"
            + "    content: |\n"
            + yaml);
    Run v = run("validate", "--user-data", ud.toString());
    assertThat(v.code()).as(v.err()).isZero();
    assertThat(v.out()).contains("service counting");
    // the MIME message Vagrant's own Mime code builds from vagrant/Vagrantfile (no MIME-Version
    // on the first line, no closing boundary; src/test/resources/userdata/vagrant-mime.rb)
    Run m =
        run("validate", "--user-data", "src/test/resources/userdata/corpus/vagrant-counting.mime");
    assertThat(m.code()).as(m.err()).isZero();
    assertThat(m.out()).contains("service counting");
  }

  @Test
  void removedService_removesItsRegistrationUnitsAndLinks_only() throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    assertThat(apply(config("counting"), root).code()).isZero();
    Files.writeString(
        root.resolve("etc/systemd/system/someone-else.service"),
        "[Service]\nExecStart=/bin/true\n");
    String text = Files.readString(config("counting"));
    Path noApp = tmp.resolve("noapp.yaml");
    Files.writeString(
        noApp, text.substring(0, text.indexOf("app:")) + text.substring(text.indexOf("dns:")));
    Run r = apply(noApp, root);
    assertThat(r.code()).as(r.out()).isZero();
    assertThat(root.resolve("etc/systemd/system/counting.service")).doesNotExist();
    assertThat(
            Files.exists(
                root.resolve("etc/systemd/system/multi-user.target.wants/counting.service"),
                LinkOption.NOFOLLOW_LINKS))
        .isFalse();
    assertThat(
            Files.exists(
                root.resolve("etc/systemd/system/multi-user.target.wants/envoy@counting.service"),
                LinkOption.NOFOLLOW_LINKS))
        .isFalse();
    assertThat(root.resolve("etc/consul.d/service-registration.json")).doesNotExist();
    assertThat(root.resolve("etc/consul-vm-agent/envoy/counting.env")).doesNotExist();
    assertThat(root.resolve("etc/systemd/system/someone-else.service")).exists();
    assertThat(root.resolve("etc/systemd/system/consul.service")).exists();
    assertThat(apply(noApp, root).out()).contains("No changes");
  }
}
