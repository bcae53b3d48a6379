package dev.consulvmagent.artifact;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Connection handling that WireMock (a keep-alive HTTP/1.1 server) never exercises. */
class DownloaderTest {
  /**
   * Like `python3 -m http.server` or a plain static mirror: HTTP/1.0 responses without "Connection:
   * close", and the socket closed after each one. A pooled connection is then stale when the next
   * request goes out; that must cost neither an attempt nor a backoff.
   */
  @Test
  void closedPooledConnection_isNotCountedAsAFailedAttempt() throws Exception {
    AtomicInteger served = new AtomicInteger();
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread t =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try (Socket s = server.accept()) {
                    BufferedReader r =
                        new BufferedReader(
                            new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                    String line;
                    while ((line = r.readLine()) != null && !line.isEmpty()) {
                      // request line and headers
                    }
                    byte[] body =
                        ("file " + served.incrementAndGet() + "\n")
                            .getBytes(StandardCharsets.US_ASCII);
                    OutputStream out = s.getOutputStream();
                    out.write(
                        ("HTTP/1.0 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                  } catch (IOException e) {
                    return;
                  }
                }
              });
      t.setDaemon(true);
      t.start();
      String base = "http://127.0.0.1:" + server.getLocalPort();
      // one attempt only: a stale connection counted as a failure would fail the second fetch
      Downloader d =
          new Downloader(
              Duration.ofSeconds(2), Duration.ofSeconds(2), 1, Duration.ofSeconds(5), Map.of());
      assertThat(new String(d.fetchSmall("sums", base + "/SHA256SUMS").orElseThrow()))
          .isEqualTo("file 1\n");
      try (Downloader.Source body = d.open("consul", base + "/consul.zip")) {
        assertThat(new String(body.readAllBytes())).isEqualTo("file 2\n");
      }
      assertThat(new String(d.fetchSmall("sums", base + "/checksums.txt").orElseThrow()))
          .isEqualTo("file 3\n");
    }
  }

  /**
   * A plain-http mirror redirecting to https: the download moves to the TLS client (set up only
   * then) and its certificate checks apply — WireMock's self-signed certificate is refused.
   */
  @Test
  void redirectFromHttpToHttps_isFollowed_withCertificateChecks() {
    WireMockServer wm =
        new WireMockServer(
            WireMockConfiguration.options()
                .dynamicPort()
                .dynamicHttpsPort()
                .bindAddress("127.0.0.1"));
    wm.start();
    try {
      String https = "https://127.0.0.1:" + wm.httpsPort() + "/consul/SHA256SUMS";
      wm.stubFor(
          get("/consul/SHA256SUMS")
              .willReturn(aResponse().withStatus(302).withHeader("Location", https)));
      Downloader d =
          new Downloader(
              Duration.ofSeconds(2), Duration.ofSeconds(2), 1, Duration.ofMillis(1), Map.of());
      assertThatThrownBy(
              () ->
                  d.fetchSmall("checksums", "http://127.0.0.1:" + wm.port() + "/consul/SHA256SUMS"))
          .isInstanceOf(ArtifactException.class)
          .hasMessageContaining("SSLHandshakeException");
      // the handshake failing proves the https side was reached; the http side was asked once
      assertThat(wm.getAllServeEvents())
          .singleElement()
          .satisfies(e -> assertThat(e.getRequest().getAbsoluteUrl()).startsWith("http:"));
    } finally {
      wm.stop();
    }
  }
}
