package dev.consulvmagent.sidecar;

import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.HttpClients;
import java.io.IOException;
import java.time.Duration;
import okhttp3.Call;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Envoy's admin API on the loopback, the one call we make: {@code GET /ready}, which answers 200
 * and "LIVE\n" once the server is live, 503 and the state's name (PRE_INITIALIZING, INITIALIZING,
 * DRAINING) otherwise (envoyproxy/envoy source/server/admin/server_info_handler.cc, handlerReady).
 */
public final class EnvoyAdmin {
  /** Envoy did not become ready in time. */
  public static final class NotReadyException extends RuntimeException {
    public NotReadyException(String m) {
      super(m);
    }
  }

  private final String base;
  private final Call.Factory http;

  /** adminBind: host:port, as ENVOY_ADMIN_BIND and -admin-bind spell it. */
  public EnvoyAdmin(String adminBind, Duration timeout) {
    this.base = "http://" + adminBind;
    this.http = HttpClients.local(base, timeout);
  }

  /** The admin address for a port on the loopback (where SidecarFiles binds it). */
  public static EnvoyAdmin onLoopback(int adminPort, Duration timeout) {
    return new EnvoyAdmin("127.0.0.1:" + adminPort, timeout);
  }

  /** Whether /ready answers 200 now; false when it answers otherwise or nothing listens. */
  public boolean ready() {
    try (Response r =
        http.newCall(new Request.Builder().url(base + "/ready").get().build()).execute()) {
      return r.code() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Polls /ready every 250 ms until it answers 200 (redirecting traffic before that blackholes it);
   * NotReadyException after timeout.
   */
  public void awaitReady(Duration timeout, EventSink events) {
    long deadline = System.nanoTime() + timeout.toNanos();
    events.info("waiting for Envoy to be ready at " + base + "/ready");
    while (true) {
      if (ready()) {
        events.info("Envoy is ready");
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new NotReadyException(
            "Envoy did not become ready at "
                + base
                + "/ready within "
                + timeout.toSeconds()
                + "s; no traffic rules were installed. See: journalctl -u 'envoy@*'");
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
