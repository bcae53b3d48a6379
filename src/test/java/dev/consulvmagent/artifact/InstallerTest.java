package dev.consulvmagent.artifact;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.resource.ProgramDigest;
import dev.consulvmagent.testing.Gpg;
import dev.consulvmagent.testing.RawServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real okhttp download path against WireMock: each fault, each verification failure. */
class InstallerTest {
  static WireMockServer wm;
  static Gpg gpg;
  static Gpg otherGpg;
  static Path keys;
  @TempDir Path root;
  HostFs fs;

  static final byte[] BINARY =
      "#!/bin/sh\necho consul double\n".repeat(4000).getBytes(StandardCharsets.UTF_8);
  static byte[] zip;
  static String zipSha;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    wm = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
    wm.start();
    gpg = new Gpg(dir.resolve("a"));
    otherGpg = new Gpg(dir.resolve("b"));
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      z.putNextEntry(new ZipEntry("LICENSE.txt"));
      z.write("license".getBytes());
      z.putNextEntry(new ZipEntry("consul"));
      z.write(BINARY);
    }
    zip = b.toByteArray();
    zipSha = HostFs.sha256(zip);
    keys = dir;
  }

  @AfterAll
  static void stop() {
    wm.stop();
  }

  @BeforeEach
  void reset() {
    wm.resetAll();
    fs = new HostFs(root, false);
  }

  private Installer installer(Duration read) throws Exception {
    Downloader d = new Downloader(Duration.ofSeconds(2), read, 3, Duration.ofMillis(10));
    return new Installer(
        d, new ChecksumResolver(d, Map.of("k", new PgpVerifier(gpg.publicKey()))), EventSink.NONE);
  }

  private Artifact consul(Verification v, String path) {
    return new Artifact(
        "consul 1.16.6",
        wm.baseUrl() + path,
        "https://releases.hashicorp.com" + path,
        v,
        Artifact.Packing.ZIP,
        Optional.of("consul"),
        "/usr/bin/consul",
        0755);
  }

  private Verification signedSums() throws Exception {
    Path sums = keys.resolve("SHA256SUMS");
    Files.writeString(
        sums,
        zipSha
            + "  consul_1.16.6_linux_amd64.zip\n"
            + "0".repeat(64)
            + "  consul_1.16.6_linux_arm64.zip\n");
    wm.stubFor(get("/c/SHA256SUMS").willReturn(aResponse().withBody(Files.readAllBytes(sums))));
    wm.stubFor(
        get("/c/SHA256SUMS.72D7468F.sig").willReturn(aResponse().withBody(gpg.detachSign(sums))));
    return new Verification.ChecksumsFile(
        wm.baseUrl() + "/c/SHA256SUMS",
        "consul_1.16.6_linux_amd64.zip",
        new Verification.Detached(
            wm.baseUrl() + "/c/SHA256SUMS.72D7468F.sig", wm.baseUrl() + "/c/SHA256SUMS.sig", "k"));
  }

  private byte[] installAndRead(Installer inst, Artifact a) throws IOException {
    Installer.Prepared p = inst.prepare(a, fs, "/var/cache");
    fs.installTemp(p.temp(), a.destination(), 0755, -1, -1);
    return Files.readAllBytes(root.resolve("usr/bin/consul"));
  }

  private void existingBinary() throws IOException {
    Files.createDirectories(root.resolve("usr/bin"));
    Files.writeString(root.resolve("usr/bin/consul"), "old");
  }

  private void assertUntouched() throws IOException {
    assertThat(Files.readString(root.resolve("usr/bin/consul"))).isEqualTo("old");
    try (var s = Files.list(root.resolve("usr/bin"))) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .containsExactly("consul"); // no temp left behind
    }
  }

  @Test
  void happyPath_signedChecksums_unzipsTheBinary_andCachesTheArchive() throws Exception {
    wm.stubFor(get("/c/consul.zip").willReturn(aResponse().withBody(zip)));
    Installer.Prepared p =
        installer(Duration.ofSeconds(5))
            .prepare(consul(signedSums(), "/c/consul.zip"), fs, "/var/cache");
    assertThat(Files.readAllBytes(p.temp())).isEqualTo(BINARY);
    assertThat(p.archiveSha256()).isEqualTo(zipSha);
    CRC32 crc = new CRC32();
    crc.update(BINARY);
    // the receipt's digest of an unpacked program: its CRC-32 (ProgramDigest), not a second sha256
    assertThat(p.binaryDigest()).isEqualTo(ProgramDigest.crc32(crc.getValue()));
    assertThat(p.binaryDigest().hex()).hasSize(8);
    assertThat(Files.readAllBytes(root.resolve("var/cache/" + zipSha))).isEqualTo(zip);
    // a second preparation uses the cache: no download at all
    wm.resetRequests();
    installer(Duration.ofSeconds(5))
        .prepare(consul(signedSums(), "/c/consul.zip"), fs, "/var/cache");
    wm.verify(0, getRequestedFor(urlEqualTo("/c/consul.zip")));
  }

  @Test
  void serverError_thenSuccess_isRetried() throws Exception {
    wm.stubFor(
        get("/c/consul.zip")
            .inScenario("s")
            .whenScenarioStateIs(Scenario.STARTED)
            .willReturn(aResponse().withStatus(503))
            .willSetStateTo("ok"));
    wm.stubFor(
        get("/c/consul.zip")
            .inScenario("s")
            .whenScenarioStateIs("ok")
            .willReturn(aResponse().withBody(zip)));
    assertThat(
            installAndRead(
                installer(Duration.ofSeconds(5)),
                consul(new Verification.Pinned(zipSha), "/c/consul.zip")))
        .isEqualTo(BINARY);
    wm.verify(2, getRequestedFor(urlEqualTo("/c/consul.zip")));
  }

  @Test
  void connectionReset_isRetried() throws Exception {
    wm.stubFor(
        get("/c/consul.zip")
            .inScenario("r")
            .whenScenarioStateIs(Scenario.STARTED)
            .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER))
            .willSetStateTo("ok"));
    wm.stubFor(
        get("/c/consul.zip")
            .inScenario("r")
            .whenScenarioStateIs("ok")
            .willReturn(aResponse().withBody(zip)));
    assertThat(
            installAndRead(
                installer(Duration.ofSeconds(5)),
                consul(new Verification.Pinned(zipSha), "/c/consul.zip")))
        .isEqualTo(BINARY);
  }

  @Test
  void truncatedBody_resumesWithRange() throws Exception {
    try (RawServer raw = new RawServer("/c/consul.zip", zip)) {
      Artifact a =
          new Artifact(
              "consul",
              raw.url("/c/consul.zip"),
              "x",
              new Verification.Pinned(zipSha),
              Artifact.Packing.ZIP,
              Optional.of("consul"),
              "/usr/bin/consul",
              0755);
      assertThat(installAndRead(installer(Duration.ofSeconds(5)), a)).isEqualTo(BINARY);
      assertThat(raw.ranges).containsExactly("none", "bytes=" + zip.length / 2 + "-");
    }
  }

  @Test
  void slowBody_pastReadTimeout_failsAndLeavesBinaryUntouched() throws Exception {
    existingBinary();
    wm.stubFor(get("/c/consul.zip").willReturn(aResponse().withBody(zip).withFixedDelay(1500)));
    assertThatThrownBy(
            () ->
                installer(Duration.ofMillis(300))
                    .prepare(
                        consul(new Verification.Pinned(zipSha), "/c/consul.zip"), fs, "/var/cache"))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("consul.zip")
        .hasMessageContaining("timed out");
    assertUntouched();
  }

  @Test
  void bodyThatStallsMidway_isCutOff_retriedWithRange_thenFails() throws Exception {
    existingBinary();
    // the body arrives in two halves 1.2 s apart: past the 300 ms read timeout on every attempt
    wm.stubFor(
        get("/c/consul.zip")
            .willReturn(aResponse().withBody(zip).withChunkedDribbleDelay(2, 1200)));
    // (without the cut-off each attempt would simply finish after 1.2 s and succeed)
    assertThatThrownBy(
            () ->
                installer(Duration.ofMillis(300))
                    .prepare(
                        consul(new Verification.Pinned(zipSha), "/c/consul.zip"), fs, "/var/cache"))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("consul.zip")
        .hasMessageContaining("timed out (no data for 300 ms)");
    wm.verify(3, getRequestedFor(urlEqualTo("/c/consul.zip")));
    assertUntouched();
  }

  @Test
  void notFound_isNotRetried_andSaysWhatToCheck() throws Exception {
    wm.stubFor(get("/c/consul.zip").willReturn(aResponse().withStatus(404)));
    assertThatThrownBy(
            () ->
                installer(Duration.ofSeconds(5))
                    .prepare(
                        consul(new Verification.Pinned(zipSha), "/c/consul.zip"), fs, "/var/cache"))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("404")
        .hasMessageContaining("check the version");
    wm.verify(1, getRequestedFor(urlEqualTo("/c/consul.zip")));
  }

  @Test
  void wrongChecksum_isAHardError_andLeavesBinaryUntouched() throws Exception {
    existingBinary();
    wm.stubFor(get("/c/consul.zip").willReturn(aResponse().withBody(zip)));
    assertThatThrownBy(
            () ->
                installer(Duration.ofSeconds(5))
                    .prepare(
                        consul(new Verification.Pinned("ab".repeat(32)), "/c/consul.zip"),
                        fs,
                        "/var/cache"))
        .isInstanceOf(ChecksumMismatchException.class)
        .hasMessageContaining("expected " + "ab".repeat(32));
    wm.verify(1, getRequestedFor(urlEqualTo("/c/consul.zip")));
    assertUntouched();
    assertThat(root.resolve("var/cache/" + zipSha)).doesNotExist();
  }

  @Test
  void signatureFromAnotherKey_isRefused() throws Exception {
    existingBinary();
    Verification v = signedSums();
    wm.stubFor(
        get("/c/SHA256SUMS.72D7468F.sig")
            .willReturn(aResponse().withBody(otherGpg.detachSign(keys.resolve("SHA256SUMS")))));
    wm.stubFor(get("/c/consul.zip").willReturn(aResponse().withBody(zip)));
    assertThatThrownBy(
            () ->
                installer(Duration.ofSeconds(5))
                    .prepare(consul(v, "/c/consul.zip"), fs, "/var/cache"))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("not the pinned release key");
    wm.verify(0, getRequestedFor(urlEqualTo("/c/consul.zip")));
    assertUntouched();
  }

  @Test
  void tamperedChecksums_failVerification() throws Exception {
    existingBinary();
    Verification v = signedSums();
    wm.stubFor(
        get("/c/SHA256SUMS")
            .willReturn(
                aResponse()
                    .withBody(("f".repeat(64) + "  consul_1.16.6_linux_amd64.zip\n").getBytes())));
    assertThatThrownBy(
            () ->
                installer(Duration.ofSeconds(5))
                    .prepare(consul(v, "/c/consul.zip"), fs, "/var/cache"))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("BAD signature");
    assertUntouched();
  }

  @Test
  void clearsignedChecksums_likeEnvoys_andRawBinary() throws Exception {
    Path sums = keys.resolve("checksums.txt");
    Files.writeString(sums, HostFs.sha256(BINARY) + "  envoy-1.26.8-linux-x86_64\n");
    wm.stubFor(get("/e/checksums.txt.asc").willReturn(aResponse().withBody(gpg.clearSign(sums))));
    wm.stubFor(get("/e/envoy-1.26.8-linux-x86_64").willReturn(aResponse().withBody(BINARY)));
    Artifact a =
        new Artifact(
            "envoy",
            wm.baseUrl() + "/e/envoy-1.26.8-linux-x86_64",
            "x",
            new Verification.ChecksumsFile(
                wm.baseUrl() + "/e/checksums.txt.asc",
                "envoy-1.26.8-linux-x86_64",
                new Verification.Clearsigned("k")),
            Artifact.Packing.RAW,
            Optional.empty(),
            "/usr/bin/envoy",
            0755);
    Installer.Prepared p = installer(Duration.ofSeconds(5)).prepare(a, fs, "/var/cache");
    assertThat(Files.readAllBytes(p.temp())).isEqualTo(BINARY);
  }

  @Test
  void redirect_isFollowed() throws Exception {
    wm.stubFor(
        get("/c/consul.zip")
            .willReturn(aResponse().withStatus(302).withHeader("Location", "/cdn/consul.zip")));
    wm.stubFor(get("/cdn/consul.zip").willReturn(aResponse().withBody(zip)));
    assertThat(
            installAndRead(
                installer(Duration.ofSeconds(5)),
                consul(new Verification.Pinned(zipSha), "/c/consul.zip")))
        .isEqualTo(BINARY);
  }

  @Test
  void pinnedHashicorpKey_isTheSecurityKeyWithItsSigningSubkey() {
    PgpVerifier v = PgpVerifier.fromResource(Artifacts.HASHICORP_KEY);
    assertThat(v.hasKey(0x34365D9472D7468FL)).isTrue(); // primary C874 011F … 72D7 468F
    assertThat(v.hasKey(0xC820C6D5CD27AB87L)).isTrue(); // signing subkey 374E … CD27 AB87
    assertThat(PgpVerifier.fromResource(Artifacts.ENVOY_KEY).hasKey(0xD8CDC3750181F31FL))
        .isTrue(); // 0AFC … 0181 F31F
  }

  @Test
  void directoryOfPreDownloadedArtifacts_worksLikeAMirror() throws Exception {
    Path dir = root.resolveSibling(root.getFileName() + "-artifacts");
    Files.createDirectories(dir.resolve("consul/1.16.6"));
    Files.write(dir.resolve("consul/1.16.6/consul_1.16.6_linux_amd64.zip"), zip);
    Files.writeString(
        dir.resolve("consul/1.16.6/consul_1.16.6_SHA256SUMS"),
        zipSha + "  consul_1.16.6_linux_amd64.zip\n");
    String url =
        Artifacts.rebase(
            "https://releases.hashicorp.com/consul/1.16.6/consul_1.16.6_linux_amd64.zip",
            Optional.of(dir.toString()));
    assertThat(url).isEqualTo(dir.toUri() + "consul/1.16.6/consul_1.16.6_linux_amd64.zip");
    Artifact a =
        new Artifact(
            "consul",
            url,
            "x",
            new Verification.ChecksumsFile(
                Artifacts.rebase(
                    "https://releases.hashicorp.com/consul/1.16.6/consul_1.16.6_SHA256SUMS",
                    Optional.of(dir.toString())),
                "consul_1.16.6_linux_amd64.zip",
                new Verification.Unsigned()),
            Artifact.Packing.ZIP,
            Optional.of("consul"),
            "/usr/bin/consul",
            0755);
    assertThat(installAndRead(installer(Duration.ofSeconds(5)), a)).isEqualTo(BINARY);
    Files.delete(dir.resolve("consul/1.16.6/consul_1.16.6_linux_amd64.zip"));
    Files.delete(root.resolve("var/cache/" + zipSha));
    assertThatThrownBy(() -> installer(Duration.ofSeconds(5)).prepare(a, fs, "/var/cache"))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("does not exist in the artifact directory");
  }
}
