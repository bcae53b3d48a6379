package dev.consulvmagent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.spec.UserData;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real validators on what the repository ships. In CI (CI=true) a missing tool is a failure.
 */
class ShippedFilesTest {
  static final String AGENT = "/etc/consul-vm-agent/agent.yaml";
  static final String RELEASE = "/etc/consul-vm-agent/release.env";
  static final String BOOTSTRAP = "/usr/local/sbin/consul-vm-agent-bootstrap";
  static final List<String> MACHINES = List.of("consul-server", "dashboard", "counting");

  static void requireTool(String path) {
    boolean present = Files.isExecutable(Path.of(path));
    if (System.getenv("CI") != null)
      assertThat(present).as(path + " must be installed by .ci/run").isTrue();
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
  void cloudInitFile_passesSchema_andCarriesExactlyTheExampleConfig(String machine)
      throws Exception {
    Path f = Path.of("cloud-init", machine + ".yaml");
    byte[] agent = UserData.extract(Files.readAllBytes(f), AGENT);
    assertThat(new String(agent, StandardCharsets.UTF_8))
        .isEqualTo(Files.readString(Path.of("examples", machine + ".yaml")));
    new SpecLoader().parse(agent);
    String text = Files.readString(f);
    // runcmd is the bootstrap alone, so its exit status is runcmd's (cloud-init's cc_runcmd:
    // only the last command's status counts); it starts the apply unit without --no-block
    assertThat(text)
        .doesNotContain("--no-block")
        .endsWith("runcmd:\n" + runcmdComment(text) + "  - [" + BOOTSTRAP + "]\n");
    // EC2: "User data is limited to 16 KB, in raw form, before it is base64-encoded"
    // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html)
    assertThat(Files.size(f)).isLessThan(16 * 1024);
    // the two values are set once, by whoever deploys: shipped empty
    assertThat(new String(UserData.extract(Files.readAllBytes(f), RELEASE), StandardCharsets.UTF_8))
        .contains("\nAGENT_URL=\nAGENT_SHA256=\n");
    // one bootstrap: the same text in every machine's file
    assertThat(UserData.extract(Files.readAllBytes(f), BOOTSTRAP)).isEqualTo(bootstrap());
    requireTool("/usr/bin/cloud-init");
    assertThat(run(Path.of("."), "cloud-init", "schema", "--config-file", f.toString()))
        .contains("Valid cloud-config");
  }

  static String runcmdComment(String text) {
    String tail = text.substring(text.lastIndexOf("runcmd:\n") + 8);
    return tail.substring(0, tail.indexOf("  - ["));
  }

  static byte[] bootstrap() throws Exception {
    byte[] userData = Files.readAllBytes(Path.of("cloud-init/consul-server.yaml"));
    return UserData.extract(userData, BOOTSTRAP);
  }

  @Test
  void readme_deployOnACloudVm_linksThePageWithTheExactUserData() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    String section = readme.substring(readme.indexOf("## Deploy on a cloud VM"));
    section = section.substring(0, section.indexOf("\n## ", 5));
    assertThat(section)
        .contains(
            "](docs/cloud-vm-user-data.md)",
            "systemctl start consul-vm-agent-apply",
            "AGENT_URL=",
            "AGENT_SHA256=");
    String page = Files.readString(Path.of("docs/cloud-vm-user-data.md"));
    String file = Files.readString(Path.of("cloud-init/consul-server.yaml"));
    assertThat(page).contains("```yaml\n" + file + "```\n");
  }

  @Test
  void applyUnit_runsTheLauncher_onDemandOnly() throws Exception {
    String unit =
        Files.readString(Path.of("src/deb/consul-vm-agent-apply.service"))
            .replaceAll("(?m)^#.*\n", "");
    assertThat(unit)
        .contains("\nExecStart=/usr/bin/consul-vm-agent apply\n", "\nType=oneshot\n")
        .doesNotContain("java", "[Install]", "cloud-final", "multi-user.target");
  }

  /**
   * Runs the shipped bootstrap under a temp root, against a local HTTP server, with fake apt-get
   * and systemctl that log their calls: what it installs and runs is what they saw.
   */
  record Boot(int rc, String output, String calls, Path root) {}

  Boot runBootstrap(byte[] served, String url, String sha) throws Exception {
    requireTool("/usr/bin/python3");
    Path root = Files.createTempDirectory("cva-bootstrap");
    Path bin = Files.createDirectories(root.resolve("fakebin"));
    Path calls = root.resolve("calls");
    String fake =
        "#!/bin/sh\necho \"$(basename \"$0\") $*\" >>"
            + calls
            + "\n"
            + "for a; do [ -f \"$a\" ] && sha256sum \"$a\" >>"
            + calls
            + "; done; exit 0\n";
    for (String tool : List.of("apt-get", "systemctl")) {
      Files.writeString(bin.resolve(tool), fake);
      Files.setPosixFilePermissions(
          bin.resolve(tool), PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Path env = root.resolve(RELEASE.substring(1));
    Files.createDirectories(env.getParent());
    Path script = Files.write(root.resolve("bootstrap"), bootstrap());
    var loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    HttpServer http = HttpServer.create(loopback, 0);
    http.createContext(
        "/",
        x -> {
          x.sendResponseHeaders(200, served.length);
          try (var out = x.getResponseBody()) {
            out.write(served);
          }
        });
    http.start();
    try {
      var pb = new ProcessBuilder("python3", script.toString()).redirectErrorStream(true);
      Map<String, String> e = pb.environment();
      e.put("CVA_BOOTSTRAP_TEST_ROOT", root.toString());
      e.put("PATH", bin + ":/usr/bin:/bin");
      String realUrl = url.replace("PORT", String.valueOf(http.getAddress().getPort()));
      Files.writeString(env, "# set once\nAGENT_URL=" + realUrl + "\nAGENT_SHA256=" + sha + "\n");
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int rc = p.waitFor();
      String log = Files.exists(calls) ? Files.readString(calls) : "";
      return new Boot(rc, out, log, root);
    } finally {
      http.stop(0);
    }
  }

  static final byte[] DEB =
      "!<arch>\ndebian-binary   0  pretend package".getBytes(StandardCharsets.US_ASCII);

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  @Test
  void bootstrap_withTheRightDigest_installsThePackage_andStartsApply() throws Exception {
    Boot b = runBootstrap(DEB, "http://127.0.0.1:PORT/consul-vm-agent_0.1.0_all.deb", sha256(DEB));
    assertThat(b.rc()).as(b.output()).isZero();
    assertThat(b.output()).contains("verified; installing it");
    String deb = b.root() + "/var/cache/consul-vm-agent-bootstrap/consul-vm-agent.deb";
    assertThat(b.calls())
        .isEqualTo(
            "apt-get install -y -q --no-install-recommends "
                + deb
                + "\n"
                + sha256(DEB)
                + "  "
                + deb
                + "\n"
                + "systemctl daemon-reload\nsystemctl start consul-vm-agent-apply.service\n");
  }

  @Test
  void bootstrap_withATamperedDownload_installsAndRunsNothing() throws Exception {
    byte[] tampered = DEB.clone();
    tampered[tampered.length - 1] ^= 1;
    // a pre-signed URL: its signature must not reach the log
    String url = "http://127.0.0.1:PORT/consul-vm-agent_0.1.0_all.deb?X-Amz-Signature=s3cr3t";
    Boot b = runBootstrap(tampered, url, sha256(DEB));
    assertThat(b.rc()).as(b.output()).isEqualTo(1);
    assertThat(b.output()).doesNotContain("s3cr3t");
    assertThat(b.output())
        .contains(
            "SHA256 MISMATCH for http://127.0.0.1:",
            "expected " + sha256(DEB),
            "got " + sha256(tampered),
            "nothing installed, nothing run");
    assertThat(b.calls()).isEmpty();
    try (var left = Files.list(b.root().resolve("var/cache/consul-vm-agent-bootstrap"))) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void bootstrap_withAMalformedDigest_exits3_beforeDownloading() throws Exception {
    Boot b = runBootstrap(DEB, "http://127.0.0.1:PORT/x.deb", "abc");
    assertThat(b.rc()).isEqualTo(3);
    assertThat(b.output()).contains("AGENT_SHA256 in ", "must be 64 hex digits");
    assertThat(b.calls()).isEmpty();
    assertThat(b.root().resolve("var/cache/consul-vm-agent-bootstrap")).doesNotExist();
  }

  @Test
  void bootstrap_withNothingSet_andNoJar_exits3_namingTheFile() throws Exception {
    Boot b = runBootstrap(DEB, "", "");
    assertThat(b.rc()).isEqualTo(3);
    assertThat(b.output()).contains("set AGENT_URL and AGENT_SHA256 in " + b.root() + RELEASE);
    assertThat(b.calls()).isEmpty();
  }

  @Test
  void vagrantStyleSecondPart_overridesTheAgentConfig_asCloudInitMergesIt() throws Exception {
    String part1 = Files.readString(Path.of("cloud-init/dashboard.yaml"));
    String cfg =
        new String(UserData.extract(part1.getBytes(), AGENT), StandardCharsets.UTF_8)
            .replace("192.0.2.", "192.168.56.");
    String part2 =
        "#cloud-config\n"
            + "merge_how:\n"
            + "- name: list\n"
            + "  settings: [append]\n"
            + "- name: dict\n"
            + "  settings: [no_replace, recurse_list]\n"
            + "write_files:\n"
            + "- path: "
            + AGENT
            + "\n  permissions: '0600'\n  content: |\n"
            + cfg.indent(4);
    String mime =
        "Content-Type: multipart/mixed; boundary=\"BOUNDARY\"\n"
            + "MIME-Version: 1.0\n\n"
            + "--BOUNDARY\n"
            + "Content-Type: text/cloud-config\n"
            + "Content-Transfer-Encoding: base64\n"
            + "Content-ID: <a>\n\n"
            + Base64.getMimeEncoder().encodeToString(part1.getBytes())
            + "\n"
            + "--BOUNDARY\n"
            + "Content-Type: text/cloud-config\n"
            + "Content-Transfer-Encoding: base64\n"
            + "Content-ID: <b>\n\n"
            + Base64.getMimeEncoder().encodeToString(part2.getBytes())
            + "\n--BOUNDARY--\n";
    String merged = new String(UserData.extract(mime.getBytes(), AGENT), StandardCharsets.UTF_8);
    assertThat(merged)
        .contains("bind_addr: 192.168.56.11", "retry_join: [192.168.56.10]")
        .doesNotContain("192.0.2.");
  }

  @Test
  void vagrantfile_validates() throws Exception {
    requireTool("/usr/bin/vagrant");
    assertThat(run(Path.of("vagrant"), "vagrant", "validate", "-p"))
        .contains("Vagrantfile validated successfully");
  }

  @Test
  void scripts_passShellcheck() throws Exception {
    requireTool("/usr/bin/shellcheck");
    List<String> argv = new ArrayList<>(List.of("shellcheck", "-x", ".ci/run"));
    try (var s = Files.list(Path.of("scripts"))) {
      s.filter(
              p ->
                  !p.toString().endsWith(".md")
                      && !p.toString().endsWith(".py")
                      && Files.isRegularFile(p))
          .sorted()
          .forEach(p -> argv.add(p.toString()));
    }
    run(Path.of("."), argv.toArray(String[]::new));
  }
}
