package dev.consulvmagent.secure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.app.MeshOperator;
import dev.consulvmagent.host.SecretFiles;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecException;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.spec.UserData;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Templates in other shapes than the shipped ones, and hostile ones. */
class UserDataTemplateTest {
  static final String PATH = "/etc/consul-vm-agent/agent.yaml";
  static final String AGENT =
      "consul: {role: client, node_name: web, retry_join: [10.0.0.1]}\n"
          + "envoy: {version: \"1.26.8\"}\n";
  @TempDir Path tmp;
  MeshFixture f;

  @BeforeEach
  void mesh() {
    f = new MeshFixture(tmp.resolve("mesh"));
  }

  AgentSpec render(String template) {
    byte[] out =
        UserDataSecurity.render(
                template.getBytes(StandardCharsets.UTF_8),
                f.mesh,
                new UserDataSecurity.Request(
                    "web", Optional.empty(), Duration.ofHours(1), PATH, Instant.now()))
            .userData();
    return new SpecLoader().parse(UserData.extract(out, PATH));
  }

  static String indent(String s, int n) {
    StringBuilder b = new StringBuilder();
    for (String l : s.split("\n")) b.append(" ".repeat(n)).append(l).append('\n');
    return b.toString();
  }

  @Test
  void contentBeforePath_stripChomping_andAnotherEntryAfter_areCompleted() {
    String t =
        "#cloud-config\nwrite_files:\n  - content: |-\n"
            + indent(AGENT, 6)
            + "    path: "
            + PATH
            + "\n    permissions: '0600'\n  - path: /etc/other\n    content: |\n      x\n"
            + "runcmd: [[true]]\n";
    AgentSpec s = render(t);
    assertThat(s.security().introToken()).isPresent();
    assertThat(s.consul().nodeName()).contains("web");
  }

  @Test
  void aFoldedOrQuotedAgentConfig_isRefused_notMangled() {
    String folded =
        "#cloud-config\nwrite_files:\n  - path: " + PATH + "\n    content: >\n" + indent(AGENT, 6);
    // folded, the agent config is one line: no longer a valid config, refused as such
    assertThatThrownBy(() -> render(folded)).isInstanceOf(SpecException.class);
    String quoted =
        "#cloud-config\nwrite_files:\n  - path: "
            + PATH
            + "\n    content: \"consul: {role: client, node_name: web, retry_join: [10.0.0.1]}\"\n";
    assertThatThrownBy(() -> render(quoted)).hasMessageContaining("literal block");
  }

  @Test
  void twoEntriesForTheAgentConfig_orNone_orNotCloudConfig_areRefused() {
    String entry = "  - path: " + PATH + "\n    content: |\n" + indent(AGENT, 6);
    assertThatThrownBy(() -> render("#cloud-config\nwrite_files:\n" + entry + entry))
        .hasMessageContaining("more than one");
    assertThatThrownBy(() -> render("#cloud-config\nruncmd: [[true]]\n"))
        .isInstanceOf(SpecException.class);
    assertThatThrownBy(() -> render("Content-Type: multipart/mixed\n\n" + entry))
        .hasMessageContaining("#cloud-config");
  }

  @Test
  void anEntryWhosePathOnlyLooksLikeOurs_isNotCompleted() {
    String t =
        "#cloud-config\nwrite_files:\n  - path: "
            + PATH
            + ".bak\n    content: |\n"
            + indent(AGENT, 6)
            + "  - path: "
            + PATH
            + "\n    content: |\n"
            + indent(AGENT, 6);
    assertThat(render(t).security().secure()).isTrue();
  }

  @Test
  void outputFile_thatIsALink_isRefused_andNothingWrittenThrough() throws Exception {
    Path target = tmp.resolve("elsewhere");
    Path link = Files.createSymbolicLink(tmp.resolve("out.yaml"), target);
    Path template =
        Files.writeString(
            tmp.resolve("t.yaml"),
            "#cloud-config\nwrite_files:\n  - path: "
                + PATH
                + "\n    content: |\n"
                + indent(AGENT, 6));
    assertThatThrownBy(
            () ->
                MeshOperator.userData(
                    f.dir,
                    "web",
                    template,
                    Optional.empty(),
                    "1h",
                    List.of(),
                    Optional.of(link),
                    new ByteArrayOutputStream()))
        .hasMessageContaining("symbolic link");
    assertThat(Files.exists(target)).isFalse();
  }

  @Test
  void output_toAPipe_isTheUserData_andAnExistingFileBecomes0600() throws Exception {
    Path template =
        Files.writeString(
            tmp.resolve("t.yaml"),
            "#cloud-config\nwrite_files:\n  - path: "
                + PATH
                + "\n    content: |\n"
                + indent(AGENT, 6));
    ByteArrayOutputStream pipe = new ByteArrayOutputStream();
    // under surefire standard output is not a terminal
    MeshOperator.userData(
        f.dir, "web", template, Optional.empty(), "1h", List.of(), Optional.empty(), pipe);
    assertThat(pipe.toString(StandardCharsets.UTF_8))
        .startsWith("#cloud-config")
        .contains("intro_token");
    Path existing = Files.writeString(tmp.resolve("old.yaml"), "old");
    Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rw-r--r--"));
    MeshOperator.userData(
        f.dir, "web", template, Optional.empty(), "1h", List.of(), Optional.of(existing), pipe);
    assertThat(SecretFiles.mode(existing)).isEqualTo(0600);
    assertThat(Files.readString(existing)).contains("intro_token");
  }
}
