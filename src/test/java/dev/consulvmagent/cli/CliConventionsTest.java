package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.consulvmagent.testing.Examples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * What a newcomer types, read the way the ecosystem's CLIs read it: Consul's and Terraform's
 * single-dash spellings, help and version as commands, "did you mean", strict --output, every
 * option described, and validate's problems as JSON for a CI job.
 */
class CliConventionsTest {
  @TempDir Path tmp;

  static CliApplyTest.Run run(String... args) {
    return CliApplyTest.run(args);
  }

  @Test
  void noArguments_printsTheUsage_asAUsageError() {
    CliApplyTest.Run r = run();
    assertThat(r.code()).isEqualTo(ExitCode.USAGE.code());
    assertThat(r.err()).contains("Usage: consul-vm-agent", "Commands:", "validate", "status");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void helpAndVersion_areCommandsToo() {
    CliApplyTest.Run help = run("help", "plan");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("Usage: consul-vm-agent plan", "--detailed-exitcode");
    CliApplyTest.Run version = run("version");
    assertThat(version.code()).isZero();
    assertThat(version.out()).isEqualTo(run("--version").out()).startsWith("consul-vm-agent ");
    assertThat(run("plan", "-help").out()).isEqualTo(run("plan", "--help").out());
    assertThat(run("-help").out()).isEqualTo(run("--help").out()).contains("Commands:");
    assertThat(run("-version").out()).isEqualTo(version.out());
  }

  @Test
  void aMistypedCommandOrOption_getsDidYouMean() {
    CliApplyTest.Run cmd = run("aply");
    assertThat(cmd.code()).isEqualTo(ExitCode.USAGE.code());
    assertThat(cmd.err()).contains("Did you mean: consul-vm-agent apply");
    CliApplyTest.Run opt = run("plan", "--confg", "x.yaml");
    assertThat(opt.code()).isEqualTo(ExitCode.USAGE.code());
    assertThat(opt.err()).contains("--confg").contains("--config");
  }

  @Test
  void consulAndTerraformSpellings_readAsTheLongOnes() throws Exception {
    Path cfg = Examples.config(tmp, "counting");
    Path root = Files.createDirectories(tmp.resolve("root"));
    String mirror = Examples.mirror().url();
    CliApplyTest.Run terraform =
        run(
            "plan",
            "-config",
            cfg.toString(),
            "-root",
            root.toString(),
            "-mirror=" + mirror,
            "-detailed-exitcode");
    CliApplyTest.Run ours =
        run(
            "plan",
            "--config",
            cfg.toString(),
            "--root",
            root.toString(),
            "--mirror",
            mirror,
            "--detailed-exitcode");
    assertThat(terraform.code()).as(terraform.err()).isEqualTo(ExitCode.CHANGES_PENDING.code());
    assertThat(terraform.out()).isEqualTo(ours.out());
    CliApplyTest.Run consul = run("validate", "-config=" + cfg, "-format=json");
    assertThat(consul.code()).as(consul.err()).isZero();
    assertThat(new ObjectMapper().readTree(consul.out()).path("valid").asBoolean()).isTrue();
    // the value of an option is never read as an option, and nothing after "--"
    assertThat(
            Main.consulSpellings(
                new String[] {"plan", "-config", "-root", "-mirror=-root", "--", "-root"},
                Set.of("--config", "--root", "--mirror", "--output")))
        .containsExactly("plan", "--config", "--root", "--mirror=-root", "--", "-root");
  }

  @Test
  void output_takesExactlyTextOrJson() {
    for (String cmd : List.of("validate", "plan", "apply", "status", "uninstall", "sidecar-init")) {
      for (String bad : List.of("yaml", "JSON", "")) {
        CliApplyTest.Run r = run(cmd, "--output", bad, "--root", tmp.toString());
        assertThat(r.code()).as(cmd + " --output '" + bad + "'").isEqualTo(ExitCode.USAGE.code());
        assertThat(r.err()).as(cmd).contains("text, json");
      }
    }
  }

  @Test
  void everyCommandAndOption_isDescribed() {
    CommandLine cl = Main.commandLine();
    for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
      assertThat(e.getValue().getCommandSpec().usageMessage().description())
          .as(e.getKey())
          .isNotEmpty();
      List<ArgSpec> args = new ArrayList<>(e.getValue().getCommandSpec().args());
      for (ArgSpec a : args) {
        String name = a instanceof OptionSpec o ? o.longestName() : a.paramLabel();
        assertThat(String.join(" ", a.description()).strip())
            .as(e.getKey() + " " + name + " has a description")
            .isNotEmpty();
      }
    }
  }

  @Test
  void validateJson_onAnInvalidConfig_listsEachProblem_keyLineMessage() throws Exception {
    Path bad =
        Files.writeString(
            tmp.resolve("agent.yaml"),
            "consul:\n  role: client\n  retry_join: [192.0.2.10]\nenvoy:\n  bad: 1\n"
                + "  admin_port: x\n");
    CliApplyTest.Run r = run("validate", "--config", bad.toString(), "--output", "json");
    assertThat(r.code()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    JsonNode v = new ObjectMapper().readTree(r.out());
    assertThat(v.path("valid").asBoolean(true)).isFalse();
    assertThat(v.path("file").asText()).isEqualTo(bad.toString());
    assertThat(v.path("problems")).hasSize(2);
    assertThat(v.path("problems").get(0).path("key").asText()).isEqualTo("envoy.bad");
    assertThat(v.path("problems").get(0).path("line").asInt()).isEqualTo(5);
    assertThat(v.path("problems").get(0).path("message").asText()).startsWith("unknown key");
    assertThat(v.path("problems").get(1).path("key").asText()).isEqualTo("envoy.admin_port");
    assertThat(v.path("problems").get(1).path("line").asInt()).isEqualTo(6);
    assertThat(r.err()).contains("invalid configuration");
  }

  @Test
  void configMessages_nameTheFile_theLineOfTheMistake_andWhereAMissingKeyGoes() throws Exception {
    // an unclosed [ on line 4 is noticed by the YAML parser only at line 5's key
    Path syntax =
        Files.writeString(
            tmp.resolve("syntax.yaml"),
            "consul:\n  role: client\n  datacenter: dc1\n  retry_join: [192.0.2.10\nenvoy:\n"
                + "  version: \"1.26.8\"\n");
    CliApplyTest.Run s = run("validate", "--config", syntax.toString());
    assertThat(s.code()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(s.err()).contains(syntax + " line 4: YAML syntax error").doesNotContain("config (");
    Path missing =
        Files.writeString(tmp.resolve("missing.yaml"), "# a client\nconsul:\n  role: client\n");
    CliApplyTest.Run m = run("validate", "--config", missing.toString());
    assertThat(m.err())
        .contains(missing.toString())
        .contains("consul.retry_join (line 2)")
        .contains("add retry_join under consul:");
  }

  @Test
  void aCloudConfigGivenAsConfig_suggestsUserData() throws Exception {
    Path cc =
        Files.writeString(
            tmp.resolve("user-data.yaml"),
            "#cloud-config\n"
                + "write_files:\n"
                + "  - path: /etc/consul-vm-agent/agent.yaml\n"
                + "    content: |\n"
                + "      consul: {role: server}\n"
                + "      security: {mode: insecure}\n");
    CliApplyTest.Run r = run("validate", "--config", cc.toString());
    assertThat(r.code()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("give it as --user-data " + cc);
    // and as --user-data it is valid
    assertThat(run("validate", "--user-data", cc.toString()).code()).isZero();
  }

  @Test
  void validate_warnsAsPlanDoes() throws Exception {
    Path cfg = Examples.config(tmp, "counting"); // insecure_skip_checksum: plan warns every run
    Path root = Files.createDirectories(tmp.resolve("root"));
    CliApplyTest.Run v = run("validate", "--config", cfg.toString());
    CliApplyTest.Run p =
        run(
            "plan",
            "--config",
            cfg.toString(),
            "--root",
            root.toString(),
            "--mirror",
            Examples.mirror().url());
    List<String> planWarnings =
        p.err()
            .lines()
            .filter(l -> l.contains("warning: "))
            .map(l -> l.substring(l.indexOf("warning: ")))
            .toList();
    assertThat(planWarnings).isNotEmpty();
    assertThat(v.err().lines().toList()).containsAll(planWarnings);
  }
}
