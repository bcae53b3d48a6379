package dev.consulvmagent.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class UserDataTest {
  static final String PATH = "/etc/consul-vm-agent/agent.yaml";

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void extract_cloudConfig_returnsWriteFilesContent() {
    String ud =
        "#cloud-config\nwrite_files:\n  - path: /etc/other\n    content: 'no'\n  - path: "
            + PATH
            + "\n    permissions: '0600'\n    content: |\n      consul:\n        role: server\n";
    assertThat(text(UserData.extract(ud.getBytes(), PATH))).isEqualTo("consul:\n  role: server\n");
  }

  @Test
  void extract_earlierEntryCloudInitFailsOn_stopsTheModule() {
    // YAML 1.1: unquoted no is a boolean; cloud-init's write_file cannot encode it, the module
    // stops there and our later entry is never written (oracle.py: AttributeError on 22.4.2)
    String ud =
        "#cloud-config\nwrite_files:\n  - path: /etc/other\n    content: no\n  - path: "
            + PATH
            + "\n    content: x\n";
    assertThatThrownBy(() -> UserData.extract(ud.getBytes(), PATH))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining("cloud-init writes nothing")
        .hasMessageContaining("write_files[0]: content is not text (a boolean)");
  }

  @Test
  void extract_unknownOwnerBeforeOurs_nothingWritten_ourOwnUnknownOwner_refused() {
    var accounts = UserData.Accounts.of(List.of("root"), List.of("root"));
    String other = "  - path: /etc/x\n    owner: nginx\n    content: x\n";
    String ours = "  - path: " + PATH + "\n    content: x\n";
    assertThatThrownBy(
            () ->
                UserData.extract(
                    ("#cloud-config\nwrite_files:\n" + other + ours).getBytes(), PATH, accounts))
        .hasMessageContaining("unknown owner user 'nginx'");
    assertThat(
            text(
                UserData.extract(
                    ("#cloud-config\nwrite_files:\n" + ours + other).getBytes(), PATH, accounts)))
        .isEqualTo("x");
    assertThatThrownBy(
            () ->
                UserData.extract(
                    ("#cloud-config\nwrite_files:\n" + ours + "    owner: consul:consul\n")
                        .getBytes(),
                    PATH,
                    accounts))
        .hasMessageContaining("write_files[0].owner")
        .hasMessageContaining("user consul");
  }

  @Test
  void accounts_parsePasswdAndGroupNames() {
    var a =
        UserData.Accounts.parse(
            "root:x:0:0:root:/root:/bin/bash\n# c\nconsul:x:999:999::/var/lib/consul:/bin/false\n"
                .getBytes(),
            "root:x:0:\nenvoy:x:998:\n".getBytes());
    assertThat(a.users()).containsExactlyInAnyOrder("root", "consul");
    assertThat(a.groups()).containsExactlyInAnyOrder("root", "envoy");
    assertThat(UserData.Accounts.read(Path.of("/nonexistent-root"))).isNull();
  }

  @Test
  void extract_deferredEntryIsWrittenLast_andAppendTakesTruthyStrings() {
    String ud =
        "#cloud-config\nwrite_files:\n"
            + "  - {path: "
            + PATH
            + ", defer: 'yes', content: \"deferred\\n\"}\n"
            + "  - {path: "
            + PATH
            + ", content: \"early\\n\"}\n"
            + "  - {path: "
            + PATH
            + ", append: ' On ', content: \"more\\n\"}\n"
            + "  - {path: "
            + PATH
            + ", defer: true, append: 1, content: \"last\\n\"}\n";
    assertThat(text(UserData.extract(ud.getBytes(), PATH))).isEqualTo("deferred\nlast\n");
  }

  @Test
  void extract_encodings_b64GzipAndGzB64() throws Exception {
    String cfg = "consul: {role: server}\n";
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
      g.write(cfg.getBytes());
    }
    String b64 = Base64.getEncoder().encodeToString(cfg.getBytes());
    String gzb64 = Base64.getEncoder().encodeToString(gz.toByteArray());
    for (String[] c :
        new String[][] {{"b64", b64}, {"base64", b64}, {"gz+b64", gzb64}, {"GZIP+BASE64", gzb64}}) {
      String ud =
          "#cloud-config\nwrite_files:\n  - path: "
              + PATH
              + "\n    encoding: "
              + c[0]
              + "\n    content: "
              + c[1]
              + "\n";
      assertThat(text(UserData.extract(ud.getBytes(), PATH))).as(c[0]).isEqualTo(cfg);
    }
  }

  private static String mime(String... parts) {
    StringBuilder b =
        new StringBuilder("Content-Type: multipart/mixed; boundary=\"XYZ\"\nMIME-Version: 1.0\n\n");
    for (String p : parts) {
      b.append(
              "--XYZ\n"
                  + "Content-Type: text/cloud-config\n"
                  + "Content-Transfer-Encoding: base64\n"
                  + "Content-ID: <x>\n\n")
          .append(Base64.getMimeEncoder().encodeToString(p.getBytes()))
          .append("\n");
    }
    return b.append("--XYZ--\n").toString();
  }

  @Test
  void extract_mimeDefaultMerge_laterPartReplacesWriteFiles() {
    String p1 =
        "#cloud-config\nwrite_files:\n  - path: "
            + PATH
            + "\n    content: 'consul: {role: server}'\n";
    String p2 = "#cloud-config\nwrite_files:\n  - path: /etc/b\n    content: x\n";
    assertThatThrownBy(() -> UserData.extract(mime(p1, p2).getBytes(), PATH))
        .hasMessageContaining("no write_files entry with path");
    assertThat(text(UserData.extract(mime(p2, p1).getBytes(), PATH)))
        .isEqualTo("consul: {role: server}");
  }

  @Test
  void extract_mimeWithMergeHow_appendsLists() {
    String p1 =
        "#cloud-config\nwrite_files:\n  - path: "
            + PATH
            + "\n    content: 'consul: {role: server}'\n";
    String p2 =
        "#cloud-config\n"
            + "merge_how:\n"
            + "  - name: list\n"
            + "    settings: [append]\n"
            + "  - name: dict\n"
            + "    settings: [no_replace, recurse_list]\n"
            + "write_files:\n"
            + "  - path: /etc/b\n"
            + "    content: x\n";
    assertThat(text(UserData.extract(mime(p1, p2).getBytes(), PATH)))
        .isEqualTo("consul: {role: server}");
  }

  @Test
  void merge_noReplaceKeepsEarlierScalar_asCloudInitDoes() throws Exception {
    var ms =
        CloudInitMerge.construct(
            CloudInitMerge.fromString("list(append)+dict(no_replace,recurse_list)+str()"));
    Object merged =
        CloudInitMerge.merge(
            Map.of("v", "1.19.2", "runcmd", List.of("one", "two")),
            Map.of("v", "1.20.1", "runcmd", List.of("three")),
            ms);
    assertThat(merged).isEqualTo(Map.of("v", "1.19.2", "runcmd", List.of("one", "two", "three")));
  }

  @Test
  void extract_rejectsShellScriptsAndJinja() {
    assertThatThrownBy(() -> UserData.extract("#!/bin/sh\necho hi\n".getBytes(), PATH))
        .hasMessageContaining("finds no cloud-config in it (parts: [text/x-shellscript])");
    assertThatThrownBy(
            () -> UserData.extract("## template: jinja\n#cloud-config\n".getBytes(), PATH))
        .hasMessageContaining("Jinja");
  }
}
