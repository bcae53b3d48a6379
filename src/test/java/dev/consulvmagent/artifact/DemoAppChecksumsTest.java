package dev.consulvmagent.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.cli.Main;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecException;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.TestMirror;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Demo-app checksums as hashicorp/demo-consul-101 makes them (services/build_all: `shasum
 * --algorithm 256 zips/${FILE}.zip >> zips/SHA256SUMS.txt`), and the explicit opt-out where no
 * digest exists.
 */
class DemoAppChecksumsTest {
  @TempDir Path tmp;

  static final String A = "a".repeat(64);
  static final String B = "b".repeat(64);

  @Test
  void listedName_matchesByBaseName() {
    for (String listed :
        List.of("zips/x.zip", "./x.zip", "*x.zip", "x.zip", "*zips/x.zip", "a/b/x.zip")) {
      assertThat(ChecksumResolver.find(A + "  " + listed + "\n", "x.zip")).as(listed).contains(A);
    }
    assertThat(
            ChecksumResolver.find(A + "  zips/x.zip.sig\n" + A + "  zips/other-x.zip\n", "x.zip"))
        .isEmpty();
  }

  @Test
  void upstreamFormat_picksTheRightLine() {
    String sums =
        A
            + "  zips/counting-service_linux_386.zip\n"
            + B
            + "  zips/counting-service_linux_amd64.zip\n";
    assertThat(ChecksumResolver.find(sums, "counting-service_linux_amd64.zip")).contains(B);
  }

  @Test
  void oneBaseNameWithTwoDigests_isRefused() {
    String sums = A + "  zips/x.zip\n" + B + "  other/x.zip\n";
    assertThatThrownBy(() -> ChecksumResolver.find(sums, "x.zip"))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("twice");
    assertThat(ChecksumResolver.find(A + "  zips/x.zip\n" + A + "  x.zip\n", "x.zip")).contains(A);
  }

  private static final String APP =
      "consul:\n  version: \"1.16.6\"\n  role: server\n"
          + "  bootstrap_expect: 1\nenvoy:\n  version: \"1.26.8\"\napp:\n  name: counting\n"
          + "  url: https://github.com/hashicorp/demo-consul-101/releases/download/0.0.3.1/"
          + "counting-service_linux_amd64.zip\n";

  private static AgentSpec spec(String appLines) {
    return new SpecLoader().parse((APP + appLines).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void optOut_isExplicit_andWarned() {
    AgentSpec s = spec("  insecure_skip_checksum: true\n");
    Artifact app = Artifacts.of(s, Optional.empty()).get(2);
    assertThat(app.verification()).isInstanceOf(Verification.Unverified.class);
    assertThat(app.verification().describe())
        .contains("NOT VERIFIED")
        .contains("insecure_skip_checksum");
    assertThat(Artifacts.warnings(s))
        .singleElement()
        .asString()
        .contains("WITHOUT any checksum")
        .contains("app.insecure_skip_checksum");
    assertThat(Artifacts.warnings(spec("  sha256: \"" + A + "\"\n"))).isEmpty();
  }

  @Test
  void noDigestAndNoOptOut_isRefused_naming_theField() {
    assertThatThrownBy(() -> spec(""))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining("app.sha256")
        .hasMessageContaining("insecure_skip_checksum");
    assertThatThrownBy(() -> spec("  insecure_skip_checksum: true\n  sha256: \"" + A + "\"\n"))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining("app.insecure_skip_checksum");
  }

  @Test
  void checksumsUrl_inUpstreamFormat_fromTheTestMirror() throws Exception {
    TestMirror m = Examples.mirror();
    String dir = m.url() + "/hashicorp/demo-consul-101/releases/download/0.0.3.1/";
    Downloader d =
        new Downloader(Duration.ofSeconds(2), Duration.ofSeconds(5), 1, Duration.ofMillis(1));
    Artifact a =
        new Artifact(
            "counting",
            dir + "counting-service_linux_amd64.zip",
            "x",
            new Verification.ChecksumsFile(
                dir + "SHA256SUMS.txt",
                "counting-service_linux_amd64.zip",
                new Verification.Unsigned()),
            Artifact.Packing.ZIP,
            Optional.empty(),
            "/usr/local/bin/counting-service",
            0755);
    HostFs fs = new HostFs(tmp, false);
    Installer.Prepared p =
        new Installer(d, new ChecksumResolver(d, Map.of()), EventSink.NONE).prepare(a, fs, "/c");
    assertThat(Files.readString(p.temp())).contains("counting-service-double");
  }

  @Test
  void unverifiedApp_isInstalled_withAWarningNamingItsDigest() throws Exception {
    TestMirror m = Examples.mirror();
    String url =
        m.url()
            + "/hashicorp/demo-consul-101/releases/download/0.0.3.1/"
            + "dashboard-service_linux_amd64.zip";
    Downloader d =
        new Downloader(Duration.ofSeconds(2), Duration.ofSeconds(5), 1, Duration.ofMillis(1));
    Artifact a =
        new Artifact(
            "dashboard",
            url,
            "x",
            new Verification.Unverified("app.insecure_skip_checksum: true"),
            Artifact.Packing.ZIP,
            Optional.empty(),
            "/usr/local/bin/dashboard-service",
            0755);
    List<String> said = new ArrayList<>();
    HostFs fs = new HostFs(tmp, false);
    Installer.Prepared p =
        new Installer(d, new ChecksumResolver(d, Map.of()), e -> said.add(e.text()))
            .prepare(a, fs, "/c");
    assertThat(Files.readString(p.temp())).contains("dashboard-service-double");
    assertThat(said)
        .anySatisfy(
            l ->
                assertThat(l)
                    .startsWith("warning: dashboard installed WITHOUT verification")
                    .contains(p.archiveSha256()));
  }

  record Run(int code, String out, String err) {}

  private static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  /** The shipped demo config: plan, apply and status each say it, every time. */
  @Test
  void shippedDemo_plan_apply_status_eachWarn() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "apply sets owners: needs root");
    Path cfg = Examples.config(tmp, "counting");
    assertThat(Files.readString(cfg))
        .contains("insecure_skip_checksum: true")
        .doesNotContain("checksums_url");
    Path root = Files.createDirectories(tmp.resolve("root"));
    String[] where = {
      "--config", cfg.toString(), "--root", root.toString(), "--mirror", Examples.mirror().url()
    };
    String warning = "app counting is downloaded WITHOUT any checksum";
    for (String cmd : List.of("plan", "apply", "apply", "plan")) {
      List<String> a = new ArrayList<>(List.of(cmd));
      a.addAll(List.of(where));
      Run r = cli(a.toArray(String[]::new));
      assertThat(r.code()).as(cmd + r.out() + r.err()).isZero();
      assertThat(r.err()).as(cmd).contains("warning: " + warning);
      // and the explicit security: insecure of the doubles' lane (issue 19), every time too
      assertThat(r.err()).as(cmd).contains("warning: security.mode is insecure");
    }
    Run status = cli("status", "--config", cfg.toString(), "--root", root.toString());
    assertThat(status.out()).contains("valid; warning: " + warning);
    assertThat(status.out()).contains("security.mode is insecure");
  }
}
