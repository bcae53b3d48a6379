package dev.consulvmagent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.spec.UserData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The real validators on what the repository ships. In CI (CI=true) a missing tool is a failure. */
class ShippedFilesTest {
  static final String AGENT = "/etc/consul-vm-agent/agent.yaml";

  static void requireTool(String path) {
    boolean present = Files.isExecutable(Path.of(path));
    if (System.getenv("CI") != null) assertThat(present).as(path + " must be installed by .ci/run").isTrue();
    assumeTrue(present, path + " not installed");
  }

  static String run(Path dir, String... argv) throws Exception {
    Process p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(String.join(" ", argv) + "\n" + out).isZero();
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"consul-server", "dashboard", "counting"})
  void cloudInitFile_passesSchema_andCarriesExactlyTheExampleConfig(String machine) throws Exception {
    Path f = Path.of("cloud-init", machine + ".yaml");
    byte[] agent = UserData.extract(Files.readAllBytes(f), AGENT);
    assertThat(new String(agent, StandardCharsets.UTF_8)).isEqualTo(Files.readString(Path.of("examples", machine + ".yaml")));
    new SpecLoader().parse(agent);
    String text = Files.readString(f);
    assertThat(text).doesNotContain("--no-block").contains("[systemctl, start, consul-vm-agent-apply.service]");
    requireTool("/usr/bin/cloud-init");
    assertThat(run(Path.of("."), "cloud-init", "schema", "--config-file", f.toString())).contains("Valid cloud-config");
  }

  @Test
  void vagrantStyleSecondPart_overridesTheAgentConfig_asCloudInitMergesIt() throws Exception {
    String part1 = Files.readString(Path.of("cloud-init/dashboard.yaml"));
    String cfg = new String(UserData.extract(part1.getBytes(), AGENT), StandardCharsets.UTF_8).replace("192.0.2.", "192.168.56.");
    String part2 = "#cloud-config\nmerge_how:\n- name: list\n  settings: [append]\n- name: dict\n  settings: [no_replace, recurse_list]\n"
        + "write_files:\n- path: " + AGENT + "\n  permissions: '0600'\n  content: |\n" + cfg.indent(4);
    String mime = "Content-Type: multipart/mixed; boundary=\"BOUNDARY\"\nMIME-Version: 1.0\n\n"
        + "--BOUNDARY\nContent-Type: text/cloud-config\nContent-Transfer-Encoding: base64\nContent-ID: <a>\n\n"
        + Base64.getMimeEncoder().encodeToString(part1.getBytes()) + "\n"
        + "--BOUNDARY\nContent-Type: text/cloud-config\nContent-Transfer-Encoding: base64\nContent-ID: <b>\n\n"
        + Base64.getMimeEncoder().encodeToString(part2.getBytes()) + "\n--BOUNDARY--\n";
    String merged = new String(UserData.extract(mime.getBytes(), AGENT), StandardCharsets.UTF_8);
    assertThat(merged).contains("bind_addr: 192.168.56.11", "retry_join: [192.168.56.10]").doesNotContain("192.0.2.");
  }

  @Test
  void vagrantfile_validates() throws Exception {
    requireTool("/usr/bin/vagrant");
    assertThat(run(Path.of("vagrant"), "vagrant", "validate", "-p")).contains("Vagrantfile validated successfully");
  }

  @Test
  void scripts_passShellcheck() throws Exception {
    requireTool("/usr/bin/shellcheck");
    List<String> argv = new ArrayList<>(List.of("shellcheck", "-x", ".ci/run"));
    try (var s = Files.list(Path.of("scripts"))) {
      s.filter(p -> !p.toString().endsWith(".md") && !p.toString().endsWith(".py") && Files.isRegularFile(p)).sorted().forEach(p -> argv.add(p.toString()));
    }
    run(Path.of("."), argv.toArray(String[]::new));
  }
}
