package dev.consulvmagent.artifact;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.testing.Gpg;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Envoy's releases carry only the clearsigned checksums.txt.asc; with verify_signatures: false its
 * body is read (the signature is not checked), a plain checksums.txt only as a fallback.
 */
class EnvoyChecksumsTest {
  static WireMockServer wm;
  static Gpg gpg;
  static Path dir;
  static final String ASSET = "envoy-1.26.8-linux-x86_64";
  static final String SHA = "c".repeat(64);

  @BeforeAll
  static void start(@TempDir Path d) throws Exception {
    wm = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
    wm.start();
    gpg = new Gpg(d.resolve("k")); // not a pinned key: unsigned mode must not care
    dir = d;
  }

  @AfterAll
  static void stop() {
    wm.stop();
  }

  @BeforeEach
  void reset() {
    wm.resetAll();
  }

  private static AgentSpec spec(boolean verify) {
    String yaml =
        "consul:\n  version: \"1.16.6\"\n  role: server\n  bootstrap_expect: 1\n"
            + "envoy:\n  version: \"1.26.8\"\ndownloads:\n  arch: amd64\n  verify_signatures: "
            + verify
            + "\n";
    return new SpecLoader().parse(yaml.getBytes(StandardCharsets.UTF_8));
  }

  private static Artifact envoy(boolean verify) {
    return Artifacts.of(spec(verify), Optional.of(wm.baseUrl())).get(1);
  }

  private static String resolve(Artifact a) {
    Downloader d =
        new Downloader(Duration.ofSeconds(2), Duration.ofSeconds(5), 1, Duration.ofMillis(1));
    return new ChecksumResolver(d, Map.of()).expectedSha256(a);
  }

  @Test
  void unsigned_readsTheClearsignedFilesBody() throws Exception {
    Artifact a = envoy(false);
    Verification.ChecksumsFile c = (Verification.ChecksumsFile) a.verification();
    assertThat(c.url()).endsWith("/envoyproxy/envoy/releases/download/v1.26.8/checksums.txt.asc");
    // a dash-escaped line (RFC 4880 §7.1) must not hide or fake a digest
    Path sums =
        Files.writeString(
            dir.resolve("checksums.txt"),
            "d".repeat(64)
                + "  envoy-contrib-1.26.8-linux-x86_64\n"
                + SHA
                + "  "
                + ASSET
                + "\n"
                + "- not a digest line\n");
    byte[] asc = gpg.clearSign(sums);
    assertThat(new String(asc, StandardCharsets.US_ASCII)).contains("- - not a digest line");
    wm.stubFor(
        get("/envoyproxy/envoy/releases/download/v1.26.8/checksums.txt.asc")
            .willReturn(aResponse().withBody(asc)));
    assertThat(resolve(a)).isEqualTo(SHA);
  }

  @Test
  void unsigned_fallsBackToAPlainList_onAMirrorWithoutTheAsc() {
    wm.stubFor(
        get("/envoyproxy/envoy/releases/download/v1.26.8/checksums.txt")
            .willReturn(aResponse().withBody(SHA + "  " + ASSET + "\n")));
    assertThat(resolve(envoy(false))).isEqualTo(SHA);
  }

  @Test
  void unsigned_aPlainListAtTheAscUrl_isNotAClearsignedDocument() {
    wm.stubFor(
        get("/envoyproxy/envoy/releases/download/v1.26.8/checksums.txt.asc")
            .willReturn(aResponse().withBody(SHA + "  " + ASSET + "\n")));
    assertThatThrownBy(() -> resolve(envoy(false)))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("not a clearsigned document");
  }

  @Test
  void signed_stillChecksTheSignature_againstThePinnedEnvoyKey() throws Exception {
    Path sums = Files.writeString(dir.resolve("signed.txt"), SHA + "  " + ASSET + "\n");
    wm.stubFor(
        get("/envoyproxy/envoy/releases/download/v1.26.8/checksums.txt.asc")
            .willReturn(aResponse().withBody(gpg.clearSign(sums))));
    Downloader d =
        new Downloader(Duration.ofSeconds(2), Duration.ofSeconds(5), 1, Duration.ofMillis(1));
    ChecksumResolver r = new ChecksumResolver(d, ChecksumResolver.pinnedKeys());
    assertThatThrownBy(() -> r.expectedSha256(envoy(true)))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("not the pinned release key");
  }
}
