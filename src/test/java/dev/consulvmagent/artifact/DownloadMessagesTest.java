package dev.consulvmagent.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.HostFs;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two download messages issue 20 found misleading: a checksums file on a file: mirror that is a
 * link to a device read as "not found" (a 404), and a server answering only "100 Continue" surfaced
 * as okhttp's internal "state: 3". Each now says what is there.
 */
class DownloadMessagesTest {
  @TempDir Path tmp;

  private static Downloader downloader() {
    return new Downloader(
        Duration.ofSeconds(2),
        Duration.ofSeconds(2),
        2,
        Duration.ofMillis(10),
        Map.of(),
        HostileDownloadTest.LIMITS);
  }

  @Test
  void checksumsFileLinkedToADevice_onAFileMirror_isNamedAsSuch_notAsMissing() throws Exception {
    Path sums =
        Files.createSymbolicLink(tmp.resolve("consul_1.8.7_SHA256SUMS"), Path.of("/dev/zero"));
    assertThatThrownBy(() -> downloader().fetchSmall("consul checksums", sums.toUri().toString()))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("consul checksums")
        .hasMessageContaining(sums.toString())
        .hasMessageContaining("not a regular file")
        // without the path: JUnit's random temp directory name may hold "404" (it did, in CI)
        .satisfies(
            e -> assertThat(e.getMessage().replace(sums.toString(), "")).doesNotContain("404"));
    // and a file that is really absent is still "not there" (the caller's 404 message)
    assertThat(
            downloader().fetchSmall("consul checksums", tmp.resolve("absent").toUri().toString()))
        .isEmpty();
  }

  /** A server that answers every request with interim 100 Continue responses, never a final one. */
  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void endless100Continue_saysSo_notState3() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread t =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    int last = 0;
                    int c;
                    while ((c = in.read()) >= 0) {
                      if (c == '\n' && last == '\n') break;
                      if (c != '\r') last = c;
                    }
                    OutputStream out = s.getOutputStream();
                    byte[] cont =
                        "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                    for (int i = 0; i < 100_000; i++) out.write(cont);
                    out.flush();
                  } catch (Exception e) {
                    // client gone
                  }
                }
              });
      t.setDaemon(true);
      t.start();
      String url = "http://127.0.0.1:" + server.getLocalPort() + "/consul.zip";
      Artifact a =
          new Artifact(
              "consul",
              url,
              url,
              new Verification.Pinned("0".repeat(64)),
              Artifact.Packing.ZIP,
              Optional.of("consul"),
              "/usr/bin/consul",
              0755);
      Downloader d = downloader();
      Installer inst = new Installer(d, new ChecksumResolver(d, Map.of()), EventSink.NONE);
      for (Runnable fetch :
          new Runnable[] {
            () -> inst.prepare(a, new HostFs(tmp.resolve("root"), false), "/var/cache"),
            () -> d.fetchSmall("consul checksums", url + ".SHA256SUMS")
          }) {
        assertThatThrownBy(fetch::run)
            .isInstanceOf(ArtifactException.class)
            .hasMessageContaining("100 Continue")
            .hasMessageNotContaining("state: 3");
      }
    }
  }
}
