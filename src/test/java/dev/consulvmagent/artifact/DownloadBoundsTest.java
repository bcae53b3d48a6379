package dev.consulvmagent.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.resource.ProgramDigest;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecException;
import dev.consulvmagent.spec.SpecLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20's download bounds: a maximum per artifact kind from the config's downloads block (an app
 * pinned by digest with no size was bounded only by the general 1 GiB), a free-space check before
 * and while writing, and a low-speed limit like curl's --speed-limit/--speed-time under the overall
 * deadline. Each failure names the artifact and the bound and keeps nothing in the cache.
 */
class DownloadBoundsTest {
  static final long MIB = 1L << 20;
  static final String BASE =
      "consul: {role: server}\n"
          + "app:\n  name: web\n  url: https://x.example/web\n  sha256: "
          + "0".repeat(64)
          + "\n";

  @TempDir Path root;
  HostFs fs;

  @BeforeEach
  void setUp() throws Exception {
    fs = new HostFs(root, false);
    Files.createDirectories(root.resolve("usr/bin"));
  }

  private static AgentSpec parse(String yaml) {
    return new SpecLoader().parse(yaml.getBytes(StandardCharsets.UTF_8));
  }

  private static Artifact app(AgentSpec spec, String url) {
    Artifact a = Artifacts.of(spec, Optional.empty()).get(2);
    assertThat(a.name()).isEqualTo("web");
    return new Artifact(
        a.name(),
        url,
        a.canonicalUrl(),
        a.verification(),
        Artifact.Packing.RAW,
        a.entry(),
        a.destination(),
        a.mode(),
        a.maxSize());
  }

  private Installer installer(Limits limits, Duration stall) {
    Downloader d = new Downloader(Duration.ofSeconds(2), stall, 2, Duration.ofMillis(10), limits);
    return new Installer(d, new ChecksumResolver(d, Map.of()), EventSink.NONE);
  }

  private void assertNothingKept() throws Exception {
    try (Stream<Path> s = Files.list(root.resolve("var/cache"))) {
      assertThat(s).as("no partial download left in the cache").isEmpty();
    }
    try (Stream<Path> s = Files.list(root.resolve("usr/bin"))) {
      assertThat(s).as("nothing staged next to the binary").isEmpty();
    }
  }

  @Test
  void defaults_perKind_andTheConfigOverridesThem() {
    List<Artifact> d = Artifacts.of(parse(BASE), Optional.empty());
    assertThat(d).extracting(Artifact::maxSize).containsExactly(256 * MIB, 512 * MIB, 1024 * MIB);
    AgentSpec spec =
        parse(
            BASE
                + "downloads:\n  max_size_mib: {consul: 100, envoy: 200, app: 3, checksums: 1}\n"
                + "  speed_limit: 2048\n  speed_time: 15\n");
    assertThat(Artifacts.of(spec, Optional.empty()))
        .extracting(Artifact::maxSize)
        .containsExactly(100 * MIB, 200 * MIB, 3 * MIB);
    Limits l = Artifacts.limits(spec);
    assertThat(l.maxDocument()).isEqualTo(MIB);
    assertThat(l.speedLimit()).isEqualTo(2048);
    assertThat(l.speedTime()).isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void badBounds_areConfigErrors_namingTheField() {
    for (String[] c :
        new String[][] {
          {"  max_size_mib: {app: 0}\n", "downloads.max_size_mib.app"},
          {"  max_size_mib: {app: -5}\n", "downloads.max_size_mib.app"},
          {"  max_size_mib: {app: lots}\n", "downloads.max_size_mib.app"},
          {"  max_size_mib: {apps: 5}\n", "apps"},
          {"  max_size_mib: 5\n", "downloads.max_size_mib"},
          {"  speed_limit: -1\n", "downloads.speed_limit"},
          {"  speed_time: 0\n", "downloads.speed_time"},
        }) {
      assertThatThrownBy(() -> parse(BASE + "downloads:\n" + c[0]))
          .as(c[0])
          .isInstanceOf(SpecException.class)
          .hasMessageContaining(c[1]);
    }
  }

  /** The app pinned by digest, no size, on a mirror that sends forever: ends at the app's bound. */
  @Test
  void endlessAppBody_endsAtTheAppKindsBound_andKeepsNothing() throws Exception {
    AgentSpec spec = parse(BASE + "downloads:\n  max_size_mib: {app: 2}\n");
    try (HostileDownloadTest.Raw raw =
        new HostileDownloadTest.Raw("", HostileDownloadTest::endless)) {
      Artifact a = app(spec, raw.url("/web"));
      assertThatThrownBy(
              () -> installer(Limits.DEFAULT, Duration.ofSeconds(5)).prepare(a, fs, "/var/cache"))
          .isInstanceOf(ArtifactException.class)
          .hasMessageContaining("web: ")
          .hasMessageContaining("is larger than 2.0 MiB")
          .hasMessageContaining("downloads.max_size_mib");
      assertNothingKept();
    }
  }

  @Test
  void declaredLengthThatWouldFillTheDisk_isRefusedBeforeWriting() throws Exception {
    long free = Files.getFileStore(root).getUsableSpace();
    try (HostileDownloadTest.Raw raw =
        new HostileDownloadTest.Raw(
            "Content-Length: " + (4 * MIB) + "\r\n", HostileDownloadTest::endless)) {
      Artifact a = app(parse(BASE), raw.url("/web"));
      // a floor just under what is free: the 4 MiB download would cross it
      Limits tight = Limits.DEFAULT.withMinFreeSpace(free - MIB);
      assertThatThrownBy(() -> installer(tight, Duration.ofSeconds(5)).prepare(a, fs, "/var/cache"))
          .isInstanceOf(ArtifactException.class)
          .hasMessageContaining("web: its 4.0 MiB download would leave less than")
          .hasMessageContaining("nothing kept");
      assertNothingKept();
    }
  }

  @Test
  void bodyWithoutALength_stopsWhenTheFreeSpaceDropsToTheFloor() throws Exception {
    long free = Files.getFileStore(root).getUsableSpace();
    try (HostileDownloadTest.Raw raw =
        new HostileDownloadTest.Raw("", HostileDownloadTest::endless)) {
      Artifact a = app(parse(BASE + "downloads:\n  max_size_mib: {app: 1024}\n"), raw.url("/web"));
      // room for about 24 MiB before the floor (other writers on the machine may move it a bit)
      Limits tight = Limits.DEFAULT.withMinFreeSpace(free - 24 * MIB);
      assertThatThrownBy(() -> installer(tight, Duration.ofSeconds(5)).prepare(a, fs, "/var/cache"))
          .isInstanceOf(ArtifactException.class)
          .hasMessageContaining("web: the free space on")
          .hasMessageContaining("while writing it")
          .hasMessageContaining("nothing kept");
      assertNothingKept();
    }
  }

  /**
   * The program is staged next to its destination (often another file system than the cache): that
   * write is checked too. Here both share one file system; the floor leaves room for the 4 MiB
   * download but not for a second 4 MiB copy of the program.
   */
  @Test
  void programThatWouldFillTheDestinationsDisk_isRefusedBeforeStaging() throws Exception {
    byte[] body = new byte[16 * (int) MIB];
    Arrays.fill(body, (byte) 'p');
    try (HostileDownloadTest.Raw raw =
        new HostileDownloadTest.Raw(
            "Content-Length: " + body.length + "\r\n", out -> out.write(body))) {
      Artifact a =
          new Artifact(
              "web",
              raw.url("/web"),
              "https://x.example/web",
              new Verification.Pinned(HostFs.sha256(body)),
              Artifact.Packing.RAW,
              Optional.empty(),
              "/usr/bin/web",
              0755,
              32 * MIB);
      long free = Files.getFileStore(root).getUsableSpace();
      // 8 MiB of slack for the download, 8 MiB short for the program (other writers on the
      // machine move the free space a little)
      Limits tight = Limits.DEFAULT.withMinFreeSpace(free - 24 * MIB);
      assertThatThrownBy(() -> installer(tight, Duration.ofSeconds(5)).prepare(a, fs, "/var/cache"))
          .isInstanceOf(ArtifactException.class)
          .hasMessageContaining("web: its 16.0 MiB program would leave less than");
      try (Stream<Path> s = Files.list(root.resolve("usr/bin"))) {
        assertThat(s).as("nothing staged next to the binary").isEmpty();
      }
    }
  }

  /**
   * A byte every 300 ms never stalls (1 s stall timeout) and the overall deadline is 30 s; the
   * low-speed limit (1 KiB/s for 1 s) ends it within a few seconds, for an artifact and a checksums
   * list alike. Without it this ran until the 30 s deadline.
   */
  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void trickle_endsAtTheLowSpeedLimit_longBeforeTheDeadline() throws Exception {
    Limits slowOk =
        new Limits(
                64 * MIB,
                MIB,
                Duration.ofSeconds(30),
                Duration.ofSeconds(30),
                50,
                4 * MIB,
                8 * MIB,
                100,
                MIB,
                MIB)
            .withSpeedLimit(1024, Duration.ofSeconds(1));
    try (HostileDownloadTest.Raw raw = new HostileDownloadTest.Raw("", HostileDownloadTest::drip)) {
      Artifact a = app(parse(BASE), raw.url("/web"));
      Downloader d =
          new Downloader(
              Duration.ofSeconds(2), Duration.ofSeconds(1), 2, Duration.ofMillis(10), slowOk);
      for (Runnable fetch :
          List.<Runnable>of(
              () -> installer(slowOk, Duration.ofSeconds(1)).prepare(a, fs, "/var/cache"),
              () -> d.fetchSmall("web checksums", raw.url("/SHA256SUMS")))) {
        long start = System.nanoTime();
        assertThatThrownBy(fetch::run)
            .isInstanceOf(ArtifactException.class)
            .hasMessageContaining("was slower than 1024 bytes/s for 1 s")
            .hasMessageContaining("downloads.speed_limit");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
      }
      assertNothingKept();
    }
  }

  /** A fast download over HTTP is not hurt by a strict low-speed limit. */
  @Test
  void fastDownload_passesTheLowSpeedLimit() throws Exception {
    byte[] body = new byte[3 * (int) MIB];
    Arrays.fill(body, (byte) 'x');
    try (HostileDownloadTest.Raw raw =
        new HostileDownloadTest.Raw(
            "Content-Length: " + body.length + "\r\n", out -> out.write(body))) {
      Artifact a =
          new Artifact(
              "web",
              raw.url("/web"),
              "https://x.example/web",
              new Verification.Pinned(HostFs.sha256(body)),
              Artifact.Packing.RAW,
              Optional.empty(),
              "/usr/bin/web",
              0755,
              4 * MIB);
      Limits strict = Limits.DEFAULT.withSpeedLimit(1024, Duration.ofSeconds(1));
      Installer.Prepared p = installer(strict, Duration.ofSeconds(5)).prepare(a, fs, "/var/cache");
      assertThat(p.binaryDigest()).isEqualTo(ProgramDigest.sha256(HostFs.sha256(body)));
    }
  }
}
