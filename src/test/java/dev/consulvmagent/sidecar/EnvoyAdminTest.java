package dev.consulvmagent.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.testing.Ports;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Envoy's /ready against an Envoy admin double (not Envoy): it answers as handlerReady does
 * (envoyproxy/envoy source/server/admin/server_info_handler.cc): 503 and the state's name until
 * live, then 200 "LIVE\n".
 */
class EnvoyAdminTest {
  private HttpServer envoyDouble;
  private final AtomicInteger asked = new AtomicInteger();

  /** An admin double that is live from the liveAt-th request on. */
  private String start(int liveAt) throws IOException {
    envoyDouble = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    envoyDouble.createContext(
        "/ready",
        ex -> {
          boolean live = asked.incrementAndGet() >= liveAt;
          byte[] body = (live ? "LIVE\n" : "PRE_INITIALIZING\n").getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(live ? 200 : 503, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    envoyDouble.start();
    return "127.0.0.1:" + envoyDouble.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    if (envoyDouble != null) envoyDouble.stop(0);
  }

  @Test
  void ready_onlyOnceEnvoyAnswers200() throws IOException {
    EnvoyAdmin admin = new EnvoyAdmin(start(2), Duration.ofSeconds(2));
    assertThat(admin.ready()).as("503 PRE_INITIALIZING").isFalse();
    assertThat(admin.ready()).as("200 LIVE").isTrue();
  }

  @Test
  void nothingListening_isNotReady() {
    String url = Ports.nothingListening();
    int port = Integer.parseInt(url.substring(url.lastIndexOf(':') + 1));
    assertThat(EnvoyAdmin.onLoopback(port, Duration.ofSeconds(1)).ready()).isFalse();
  }

  @Test
  void awaitReady_pollsUntilLive() throws IOException {
    EnvoyAdmin admin = new EnvoyAdmin(start(3), Duration.ofSeconds(2));
    admin.awaitReady(Duration.ofSeconds(10), EventSink.NONE);
    assertThat(asked.get()).isEqualTo(3);
  }

  @Test
  void awaitReady_givesUpNamingTheAddress() throws IOException {
    String bind = start(Integer.MAX_VALUE);
    assertThatThrownBy(
            () ->
                new EnvoyAdmin(bind, Duration.ofSeconds(1))
                    .awaitReady(Duration.ZERO, EventSink.NONE))
        .isInstanceOf(EnvoyAdmin.NotReadyException.class)
        .hasMessageContaining("http://" + bind + "/ready")
        .hasMessageContaining("no traffic rules were installed");
  }
}
