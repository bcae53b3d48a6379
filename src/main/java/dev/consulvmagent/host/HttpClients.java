package dev.consulvmagent.host;

import java.net.ProxySelector;
import java.time.Duration;
import java.util.List;
import okhttp3.Call;
import okhttp3.ConnectionSpec;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;

/**
 * The one place HTTP clients are built (ArchitectureTest: nothing outside host builds an
 * OkHttpClient); callers get a {@link Call.Factory} and only make calls. Two kinds: downloads
 * (artifact.Downloader) and a Consul agent's API (consul.ConsulApi). Both set up TLS only when an
 * https URL needs it: the trust store and SSL context cost ~0.3 s of start-up, which a plain-http
 * mirror or the local agent's http address never pays.
 */
public final class HttpClients {
  private HttpClients() {}

  /**
   * Clients for downloads: connect timeout, no read timeout (the caller's stall watchdog enforces
   * one, far more cheaply), redirects followed, proxies from proxies. A GET is idempotent, so
   * okhttp silently re-sends it when a pooled connection turns out to be closed by the server
   * (HTTP/1.0 mirrors close after every response); counting that as a failed attempt cost a backoff
   * per download. Real failures still reach the caller.
   */
  public static Downloads downloads(Duration connectTimeout, ProxySelector proxies) {
    return new Downloads(
        new OkHttpClient.Builder()
            .connectTimeout(connectTimeout)
            .readTimeout(Duration.ZERO)
            .followRedirects(true)
            .retryOnConnectionFailure(true)
            .proxySelector(proxies));
  }

  /** The download clients, one for plain http and one (built on first use) for https. */
  public static final class Downloads {
    private final OkHttpClient.Builder settings;
    private OkHttpClient plain;
    private OkHttpClient tls;

    private Downloads(OkHttpClient.Builder settings) {
      this.settings = settings;
    }

    /**
     * The client for url. The plain-http client has no TLS and follows no redirect that changes the
     * scheme: a redirect to https comes back to the caller, which follows it with the https client
     * (okhttp's followSslRedirects, on only there).
     */
    public synchronized Call.Factory client(HttpUrl url) {
      if (url.isHttps()) {
        if (tls == null) {
          tls =
              settings
                  .followSslRedirects(true)
                  .connectionSpecs(List.of(ConnectionSpec.MODERN_TLS, ConnectionSpec.CLEARTEXT))
                  .build();
        }
        return tls;
      }
      if (plain == null) {
        plain =
            settings
                .followSslRedirects(false)
                .connectionSpecs(List.of(ConnectionSpec.CLEARTEXT))
                .build();
      }
      return plain;
    }
  }

  /**
   * A client for a Consul agent's HTTP API at base: connect and read timeout, and a stale pooled
   * connection simply retried once (every call made is idempotent). A plain-http base (the local
   * agent) gets no TLS set-up at all.
   */
  public static Call.Factory consul(String base, Duration timeout) {
    OkHttpClient.Builder b =
        new OkHttpClient.Builder()
            .connectTimeout(timeout)
            .readTimeout(timeout)
            .retryOnConnectionFailure(true);
    if (base.startsWith("http://")) b.connectionSpecs(List.of(ConnectionSpec.CLEARTEXT));
    return b.build();
  }

  /**
   * A client for a plain-http API on the loopback (Envoy's admin API): connect and read timeout, no
   * TLS set-up.
   */
  public static Call.Factory local(String base, Duration timeout) {
    if (!base.startsWith("http://")) throw new IllegalArgumentException("not http: " + base);
    return consul(base, timeout);
  }
}
