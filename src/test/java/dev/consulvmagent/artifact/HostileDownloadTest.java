package dev.consulvmagent.artifact;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.HostFs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13's hostile inputs against the real download path: bombs, endless and dripping bodies,
 * archive entries that are not files, an HTML page instead of a zip. After every failure the
 * previously installed binary is untouched and no temp file is left next to it.
 */
class HostileDownloadTest {
  static final long MIB = 1L << 20;

  /** Small bounds so the tests stay fast; the defaults are the same checks at larger sizes. */
  static final Limits LIMITS =
      new Limits(
          8 * MIB,
          64 * 1024,
          Duration.ofSeconds(3),
          Duration.ofSeconds(3),
          50,
          4 * MIB,
          8 * MIB,
          100,
          1 * MIB,
          1 * MIB);

  static final byte[] PROGRAM =
      "#!/bin/sh\necho the real program\n".getBytes(StandardCharsets.UTF_8);
  static final String HTML =
      "<!DOCTYPE html>\n<html><head><title>Sign in to the hotel Wi-Fi</title></head>"
          + "<body>please log in</body></html>\n";

  static WireMockServer wm;
  @TempDir Path root;
  HostFs fs;

  @BeforeAll
  static void start() {
    wm = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
    wm.start();
  }

  @AfterAll
  static void stop() {
    wm.stop();
  }

  @BeforeEach
  void reset() throws IOException {
    wm.resetAll();
    fs = new HostFs(root, false);
    Files.createDirectories(root.resolve("usr/bin"));
    Files.writeString(root.resolve("usr/bin/consul"), "old");
  }

  private void assertUntouched() throws IOException {
    assertThat(Files.readString(root.resolve("usr/bin/consul"))).isEqualTo("old");
    try (var s = Files.list(root.resolve("usr/bin"))) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("consul");
    }
  }

  private static Downloader downloader(Duration stall) {
    return new Downloader(Duration.ofSeconds(2), stall, 2, Duration.ofMillis(10), Map.of(), LIMITS);
  }

  private static Installer installer(Duration stall) {
    Downloader d = downloader(stall);
    return new Installer(d, new ChecksumResolver(d, Map.of()), EventSink.NONE);
  }

  private static Artifact artifact(String url, Verification v, Artifact.Packing packing) {
    return new Artifact(
        "consul", url, url, v, packing, Optional.of("consul"), "/usr/bin/consul", 0755);
  }

  private Artifact served(String path, byte[] body, Artifact.Packing packing) {
    wm.stubFor(get(path).willReturn(aResponse().withBody(body)));
    return artifact(wm.baseUrl() + path, new Verification.Pinned(HostFs.sha256(body)), packing);
  }

  private void refused(Artifact a, String... message) throws IOException {
    var t =
        assertThatThrownBy(() -> installer(Duration.ofSeconds(5)).prepare(a, fs, "/var/cache"))
            .isInstanceOf(ArtifactException.class);
    for (String m : message) t.hasMessageContaining(m);
    assertUntouched();
  }

  // ---- archives ----------------------------------------------------------------------------

  static byte[] zip(Consumer<ZipArchiveOutputStream> body) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipArchiveOutputStream z = new ZipArchiveOutputStream(b)) {
      body.accept(z);
    }
    return b.toByteArray();
  }

  static void zipEntry(ZipArchiveOutputStream z, String name, int unixMode, byte[] content) {
    try {
      ZipArchiveEntry e = new ZipArchiveEntry(name);
      if (unixMode != 0) e.setUnixMode(unixMode);
      z.putArchiveEntry(e);
      z.write(content);
      z.closeArchiveEntry();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  static byte[] tarGz(Consumer<TarArchiveOutputStream> body) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (TarArchiveOutputStream t = new TarArchiveOutputStream(new GzipCompressorOutputStream(b))) {
      t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      body.accept(t);
    }
    return b.toByteArray();
  }

  static void tarEntry(TarArchiveOutputStream t, TarArchiveEntry e, byte[] content) {
    try {
      e.setSize(content.length);
      t.putArchiveEntry(e);
      t.write(content);
      t.closeArchiveEntry();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  @Test
  void verifiedZip_isUnpacked_fromTheCache() throws Exception {
    byte[] z = zip(o -> zipEntry(o, "consul", 0100755, PROGRAM));
    Installer.Prepared p =
        installer(Duration.ofSeconds(5))
            .prepare(served("/ok.zip", z, Artifact.Packing.ZIP), fs, "/var/cache");
    assertThat(Files.readAllBytes(p.temp())).isEqualTo(PROGRAM);
    assertThat(root.resolve("var/cache/" + HostFs.sha256(z))).exists();
  }

  /** The digest is checked before anything is unpacked: garbage is a mismatch, not a zip error. */
  @Test
  void digestIsVerifiedBeforeUnpacking() throws Exception {
    byte[] good = zip(o -> zipEntry(o, "consul", 0100755, PROGRAM));
    wm.stubFor(
        get("/c.zip")
            .willReturn(aResponse().withBody(HTML).withHeader("Content-Type", "text/html")));
    Artifact a =
        artifact(
            wm.baseUrl() + "/c.zip",
            new Verification.Pinned(HostFs.sha256(good)),
            Artifact.Packing.ZIP);
    assertThatThrownBy(() -> installer(Duration.ofSeconds(5)).prepare(a, fs, "/var/cache"))
        .isInstanceOf(ChecksumMismatchException.class)
        .hasMessageContaining("received an HTML page")
        .hasMessageContaining("Content-Type text/html")
        .hasMessageContaining(wm.baseUrl() + "/c.zip")
        .hasMessageNotContaining("cannot write");
    assertUntouched();
    try (var s = Files.list(root.resolve("var/cache"))) {
      assertThat(s).as("nothing kept in the cache").isEmpty();
    }
  }

  /** Issue 13.9: say what arrived and from where, not "cannot write under … zip signature". */
  @Test
  void htmlInsteadOfZip_saysWhatArrived_andFromWhere() throws Exception {
    wm.stubFor(
        get("/app.zip")
            .willReturn(
                aResponse().withBody(HTML).withHeader("Content-Type", "text/html; charset=utf-8")));
    Artifact a =
        artifact(
            wm.baseUrl() + "/app.zip",
            new Verification.Unverified("app.insecure_skip_checksum: true"),
            Artifact.Packing.ZIP);
    refused(
        a,
        "is not a valid zip archive",
        "received an HTML page",
        "Content-Type text/html; charset=utf-8",
        wm.baseUrl() + "/app.zip",
        "starting \"<!DOCTYPE html>.<html><head><title>Sign in");
    assertThatThrownBy(() -> installer(Duration.ofSeconds(5)).prepare(a, fs, "/var/cache"))
        .hasMessageNotContaining("cannot write");
    try (var s = Files.list(root.resolve("var/cache"))) {
      assertThat(s).as("an unverified page is not kept in the cache").isEmpty();
    }
  }

  @Test
  void htmlInsteadOfABareBinary_isRefused() throws Exception {
    wm.stubFor(
        get("/envoy")
            .willReturn(aResponse().withBody(HTML).withHeader("Content-Type", "text/html")));
    refused(
        artifact(
            wm.baseUrl() + "/envoy", new Verification.Unverified("test"), Artifact.Packing.RAW),
        "received an HTML page",
        "not a program");
  }

  @Test
  void zipBomb_byRatio_isRefused() throws Exception {
    // 3 MiB of zeros: under the 4 MiB program limit, but ~1000:1 (limit 100:1 above 1 MiB)
    byte[] z = zip(o -> zipEntry(o, "consul", 0100755, new byte[3 * (int) MIB]));
    assertThat(z.length).isLessThan(20_000);
    refused(
        served("/bomb.zip", z, Artifact.Packing.ZIP), "refusing to unpack", "compression ratio");
  }

  @Test
  void zipBomb_byDeclaredSize_isRefused() throws Exception {
    byte[] z = zip(o -> zipEntry(o, "consul", 0100755, new byte[6 * (int) MIB]));
    refused(
        served("/big.zip", z, Artifact.Packing.ZIP),
        "refusing to unpack",
        "declares consul as 6291456 bytes");
  }

  @Test
  void zipWithTooManyEntries_isRefused_beforeItsDirectoryIsRead() throws Exception {
    byte[] z =
        zip(
            o -> {
              for (int i = 0; i < 60; i++)
                zipEntry(o, "doc/file" + i + ".txt", 0100644, new byte[1]);
              zipEntry(o, "consul", 0100755, PROGRAM);
            });
    refused(served("/many.zip", z, Artifact.Packing.ZIP), "has 61 entries, more than 50");
  }

  @Test
  void zipWithAHugeCentralDirectory_isRefused_beforeItIsRead() throws Exception {
    String comment = "c".repeat(60_000);
    byte[] z =
        zip(
            o -> {
              for (int i = 0; i < 30; i++) {
                try {
                  ZipArchiveEntry e = new ZipArchiveEntry("doc/f" + i + ".txt");
                  e.setComment(comment); // 60 KB each in the directory
                  o.putArchiveEntry(e);
                  o.closeArchiveEntry();
                } catch (IOException ex) {
                  throw new UncheckedIOException(ex);
                }
              }
              zipEntry(o, "consul", 0100755, PROGRAM);
            });
    refused(served("/dir.zip", z, Artifact.Packing.ZIP), "has a central directory of");
  }

  @Test
  void zipWhoseDirectoryDoesNotEndAtItsEndRecord_isNotAValidZip() throws Exception {
    byte[] z = zip(o -> zipEntry(o, "consul", 0100755, PROGRAM));
    int eocd = z.length - 22;
    assertThat(z[eocd]).isEqualTo((byte) 0x50);
    z[eocd + 16] -= 1; // central directory offset one byte off
    refused(
        served("/off.zip", z, Artifact.Packing.ZIP), "is not a valid zip archive", "does not end");
  }

  /**
   * A flipped byte inside the program's stored bytes, in an archive whose sha256 is what the config
   * pins (a release published broken): commons-compress reads it without an error, the entry's
   * CRC-32 in the central directory catches it, and nothing is installed.
   */
  @Test
  void zipEntryNotMatchingItsDirectoryCrc_isNotAValidZip() throws Exception {
    byte[] z =
        zip(
            o -> {
              try {
                ZipArchiveEntry e = new ZipArchiveEntry("consul");
                e.setUnixMode(0100755);
                e.setMethod(ZipArchiveEntry.STORED);
                e.setSize(PROGRAM.length);
                CRC32 crc = new CRC32();
                crc.update(PROGRAM);
                e.setCrc(crc.getValue());
                o.putArchiveEntry(e);
                o.write(PROGRAM);
                o.closeArchiveEntry();
              } catch (IOException ex) {
                throw new UncheckedIOException(ex);
              }
            });
    int at = indexOf(z, PROGRAM);
    assertThat(at).as("the program is stored as it is").isPositive();
    z[at + PROGRAM.length / 2] ^= 1;
    refused(
        served("/flipped.zip", z, Artifact.Packing.ZIP),
        "is not a valid zip archive",
        "CRC-32 is not the one its directory declares");
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }

  @Test
  void tarGzBomb_isRefused() throws Exception {
    byte[] t =
        tarGz(
            o -> {
              tarEntry(
                  o,
                  new TarArchiveEntry("padding"),
                  new byte[16 * (int) MIB]); // read through, counted
              tarEntry(o, new TarArchiveEntry("consul"), PROGRAM);
            });
    refused(
        served("/bomb.tar.gz", t, Artifact.Packing.TAR_GZ),
        "refusing to unpack",
        "decompresses to more than");
  }

  @Test
  void tarGzWithTooManyEntries_isRefused() throws Exception {
    byte[] t =
        tarGz(
            o -> {
              for (int i = 0; i < 60; i++)
                tarEntry(o, new TarArchiveEntry("doc/f" + i + ".md"), new byte[1]);
            });
    refused(served("/many.tar.gz", t, Artifact.Packing.TAR_GZ), "more than 50 entries");
  }

  @Test
  void verifiedTarGz_isUnpacked() throws Exception {
    byte[] t =
        tarGz(
            o -> {
              tarEntry(o, new TarArchiveEntry("bin/"), new byte[0]);
              tarEntry(o, new TarArchiveEntry("bin/consul"), PROGRAM);
            });
    Installer.Prepared p =
        installer(Duration.ofSeconds(5))
            .prepare(served("/ok.tar.gz", t, Artifact.Packing.TAR_GZ), fs, "/var/cache");
    assertThat(Files.readAllBytes(p.temp())).isEqualTo(PROGRAM);
  }

  // ---- entries that are not files (issue 13.6) ----------------------------------------------

  @Test
  void zipSymlinkEntry_asTheProgram_isRefused() throws Exception {
    byte[] z =
        zip(o -> zipEntry(o, "consul", 0120777, "/etc/shadow".getBytes(StandardCharsets.UTF_8)));
    refused(
        served("/link.zip", z, Artifact.Packing.ZIP),
        "consul is a symbolic link",
        "not a regular file");
  }

  @Test
  void zipFifoEntry_asTheProgram_isRefused() throws Exception {
    byte[] z = zip(o -> zipEntry(o, "consul", 0010644, new byte[0]));
    refused(served("/fifo.zip", z, Artifact.Packing.ZIP), "a special file", "not a regular file");
  }

  @ParameterizedTest
  @ValueSource(strings = {"symlink", "hardlink", "chardev", "blockdev", "fifo"})
  void tarEntryThatIsNotAFile_asTheProgram_isRefused(String kind) throws Exception {
    byte flag =
        switch (kind) {
          case "symlink" -> TarConstants.LF_SYMLINK;
          case "hardlink" -> TarConstants.LF_LINK;
          case "chardev" -> TarConstants.LF_CHR;
          case "blockdev" -> TarConstants.LF_BLK;
          default -> TarConstants.LF_FIFO;
        };
    byte[] t =
        tarGz(
            o -> {
              TarArchiveEntry e = new TarArchiveEntry("consul", flag);
              if (flag == TarConstants.LF_SYMLINK || flag == TarConstants.LF_LINK)
                e.setLinkName("/etc/shadow");
              tarEntry(o, e, new byte[0]);
            });
    refused(
        served("/" + kind + ".tar.gz", t, Artifact.Packing.TAR_GZ),
        "consul is a",
        "not a regular file");
  }

  @Test
  void emptyProgram_isRefused() throws Exception {
    byte[] z = zip(o -> zipEntry(o, "consul", 0100755, new byte[0]));
    refused(served("/empty.zip", z, Artifact.Packing.ZIP), "is empty");
  }

  @Test
  void fifoInAnArtifactDirectory_isRefused_notReadForever(@TempDir Path mirror) throws Exception {
    Path fifo = mirror.resolve("consul.zip");
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertThat(p.waitFor()).isZero();
    refused(
        artifact(
            fifo.toUri().toString(), new Verification.Pinned("0".repeat(64)), Artifact.Packing.ZIP),
        "not a regular file");
  }

  // ---- endless and dripping bodies -----------------------------------------------------------

  /** A raw HTTP/1.0 server: headers without Content-Length, then the body writer's bytes. */
  static final class Raw implements AutoCloseable {
    final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());

    Raw(String headers, BodyWriter body) throws IOException {
      Thread t =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    int last = 0;
                    int c;
                    // read the request up to the blank line
                    while ((c = in.read()) >= 0) {
                      if (c == '\n' && last == '\n') break;
                      if (c != '\r') last = c;
                    }
                    OutputStream out = s.getOutputStream();
                    out.write(
                        ("HTTP/1.0 200 OK\r\n" + headers + "\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    body.write(out);
                  } catch (IOException | InterruptedException e) {
                    // client gone: next connection
                  }
                }
              });
      t.setDaemon(true);
      t.start();
    }

    String url(String path) {
      return "http://127.0.0.1:" + server.getLocalPort() + path;
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  interface BodyWriter {
    void write(OutputStream out) throws IOException, InterruptedException;
  }

  static void endless(OutputStream out) throws IOException {
    byte[] chunk = new byte[64 * 1024];
    Arrays.fill(chunk, (byte) 'a'); // one endless line
    while (true) out.write(chunk);
  }

  static void drip(OutputStream out) throws IOException, InterruptedException {
    while (true) {
      out.write('a');
      out.flush();
      Thread.sleep(300);
    }
  }

  @Test
  void checksumsListWithoutContentLength_isCapped_whileReading() throws Exception {
    try (Raw raw = new Raw("", HostileDownloadTest::endless)) {
      long start = System.nanoTime();
      assertThatThrownBy(
              () ->
                  downloader(Duration.ofSeconds(5))
                      .fetchSmall("consul checksums", raw.url("/SHA256SUMS")))
          .isInstanceOf(ArtifactException.class)
          .hasMessageContaining("is larger than 0.1 MiB");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void endlessArtifactBody_isCapped_andLeavesNothing() throws Exception {
    try (Raw raw = new Raw("", HostileDownloadTest::endless)) {
      refused(
          artifact(
              raw.url("/consul.zip"),
              new Verification.Pinned("0".repeat(64)),
              Artifact.Packing.ZIP),
          "is larger than 8.0 MiB");
      try (var s = Files.list(root.resolve("var/cache"))) {
        assertThat(s).as("no partial download left in the cache").isEmpty();
      }
    }
  }

  @Test
  void declaredLengthOverTheLimit_isRefusedBeforeReading() throws Exception {
    try (Raw raw =
        new Raw("Content-Length: " + (100 * MIB) + "\r\n", HostileDownloadTest::endless)) {
      refused(
          artifact(
              raw.url("/consul.zip"),
              new Verification.Pinned("0".repeat(64)),
              Artifact.Packing.ZIP),
          "is larger than 8.0 MiB");
    }
  }

  /** A byte every 300 ms never trips the 1 s stall timeout; the overall deadline (3 s) ends it. */
  @Test
  @Timeout(
      value = 60,
      threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // without a deadline: forever
  void drip_underTheStallTimeout_endsAtTheOverallDeadline() throws Exception {
    try (Raw raw = new Raw("", HostileDownloadTest::drip)) {
      for (Runnable fetch :
          List.<Runnable>of(
              () ->
                  downloader(Duration.ofSeconds(1))
                      .fetchSmall("consul checksums", raw.url("/SHA256SUMS")),
              () ->
                  installer(Duration.ofSeconds(1))
                      .prepare(
                          artifact(
                              raw.url("/consul.zip"),
                              new Verification.Pinned("0".repeat(64)),
                              Artifact.Packing.ZIP),
                          fs,
                          "/var/cache"))) {
        long start = System.nanoTime();
        assertThatThrownBy(fetch::run)
            .isInstanceOf(ArtifactException.class)
            .hasMessageContaining("took longer than the overall limit of 3 s");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).isGreaterThan(Duration.ofMillis(2500)).isLessThan(Duration.ofSeconds(8));
      }
      assertUntouched();
    }
  }
}
