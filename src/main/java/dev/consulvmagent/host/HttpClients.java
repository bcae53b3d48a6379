package dev.consulvmagent.host;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.Call;
import okhttp3.ConnectionSpec;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.internal.tls.OkHostnameVerifier;

/**
 * The one place HTTP clients are built (ArchitectureTest: nothing outside host builds an
 * OkHttpClient); callers get a {@link Call.Factory} and only make calls. Two kinds: downloads
 * (artifact.Downloader) and a Consul agent's API (consul.AgentApi, through consul.ConsulHttp). Both
 * set up TLS only when an https URL needs it: the trust store and SSL context cost ~0.3 s of
 * start-up, which a plain-http mirror or the local agent's http address never pays.
 */
public final class HttpClients {
  private HttpClients() {}

  /**
   * One connection pool and dispatcher for every TCP client of a Consul agent. okhttp gives each
   * new OkHttpClient its own pool, whose idle connections stay open for five minutes after the
   * client is dropped; a loop that builds a ConsulHttp per poll therefore piled up hundreds of open
   * connections, and the real agent closes every connection past its per-client-IP limit
   * (`limits.http_max_conns_per_client`, default 200 since hashicorp/consul#7289) with a reset:
   * ConsulConnectionsRealTest shows it on the real 1.8.7. Sharing the pool keeps at most five idle.
   * Unix-socket clients keep their own: okhttp's pool matches connections by host and port, not by
   * socket factory, so two sockets would share a connection.
   */
  // cleartext only: a default OkHttpClient sets up TLS at build (the JDK's trust store, ~0.15 s
  // of every run that merely builds a client, the no-op apply included); an https client from
  // it brings its own socket factory (consul below)
  private static final OkHttpClient CONSUL_TCP =
      new OkHttpClient.Builder().connectionSpecs(List.of(ConnectionSpec.CLEARTEXT)).build();

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
      InputLog.effect("http " + url.host());
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
    return consul(base.startsWith("https://"), TlsSettings.NONE, timeout, timeout);
  }

  /**
   * A client for a Consul agent's HTTP API: connect timeout; readTimeout as given (a blocking query
   * holds the response for up to its wait, so its caller passes zero and sets a per-call timeout
   * instead); for https, trust and identity from tls. A file that cannot be read or parsed is an
   * IllegalArgumentException naming it.
   */
  public static Call.Factory consul(
      boolean https, TlsSettings tls, Duration connectTimeout, Duration readTimeout) {
    InputLog.effect("consul http");
    OkHttpClient.Builder b =
        CONSUL_TCP
            .newBuilder()
            .connectTimeout(connectTimeout)
            .readTimeout(readTimeout)
            .retryOnConnectionFailure(true);
    if (!https) return b.connectionSpecs(List.of(ConnectionSpec.CLEARTEXT)).build();
    try {
      X509TrustManager trust =
          tls.insecureSkipVerify() ? new TrustAll() : trustManager(tls.caFile(), tls.caPath());
      KeyManager[] keys = null;
      if (tls.clientCert().isPresent() && tls.clientKey().isPresent())
        keys = keyManagers(tls.clientCert().get(), tls.clientKey().get());
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(keys, new TrustManager[] {trust}, null);
      b.sslSocketFactory(ctx.getSocketFactory(), trust);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
    }
    if (tls.insecureSkipVerify()) b.hostnameVerifier((host, session) -> true);
    else
      tls.serverName()
          .ifPresent(
              name ->
                  b.hostnameVerifier(
                      (host, session) -> OkHostnameVerifier.INSTANCE.verify(name, session)));
    return b.connectionSpecs(List.of(ConnectionSpec.MODERN_TLS)).build();
  }

  /**
   * A client for a Consul agent's HTTP API on a Unix domain socket (CONSUL_HTTP_ADDR=unix://PATH):
   * every request goes to socket, whatever host its URL names; no proxy, no TLS.
   */
  public static Call.Factory consulUnix(
      Path socket, Duration connectTimeout, Duration readTimeout) {
    InputLog.effect("consul http (unix socket)");
    return new OkHttpClient.Builder()
        .connectTimeout(connectTimeout)
        .readTimeout(readTimeout)
        .retryOnConnectionFailure(true)
        .proxy(Proxy.NO_PROXY)
        .socketFactory(new UnixSocketFactory(socket))
        .dns(host -> List.of(InetAddress.getByAddress(host, new byte[] {127, 0, 0, 1})))
        .connectionSpecs(List.of(ConnectionSpec.CLEARTEXT))
        .build();
  }

  private static X509TrustManager trustManager(Optional<Path> file, Optional<Path> dir)
      throws GeneralSecurityException {
    if (file.isEmpty() && dir.isEmpty()) return defaultTrust();
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    try {
      ks.load(null, null);
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
    List<Path> files = new ArrayList<>();
    file.ifPresent(files::add);
    if (dir.isPresent()) {
      try (Stream<Path> s = Files.list(dir.get())) {
        s.filter(Files::isRegularFile).sorted().forEach(files::add);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read CA directory " + dir.get() + ": " + e);
      }
    }
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    int n = 0;
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        for (Certificate c : cf.generateCertificates(in)) ks.setCertificateEntry("ca" + n++, c);
      } catch (IOException | CertificateException e) {
        throw new IllegalArgumentException(
            "cannot read CA certificate " + f + ": " + e.getMessage());
      }
    }
    if (n == 0) throw new IllegalArgumentException("no CA certificate found in " + files);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    return (X509TrustManager) tmf.getTrustManagers()[0];
  }

  private static X509TrustManager defaultTrust() throws GeneralSecurityException {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init((KeyStore) null);
    return (X509TrustManager) tmf.getTrustManagers()[0];
  }

  /** A PEM certificate chain and its PKCS#8 PEM key ("BEGIN PRIVATE KEY"), EC or RSA. */
  private static KeyManager[] keyManagers(Path certFile, Path keyFile)
      throws GeneralSecurityException {
    try {
      Certificate[] chain;
      try (InputStream in = Files.newInputStream(certFile)) {
        chain =
            CertificateFactory.getInstance("X.509")
                .generateCertificates(in)
                .toArray(new Certificate[0]);
      }
      String pem = Files.readString(keyFile);
      int a = pem.indexOf("-----BEGIN PRIVATE KEY-----");
      int z = pem.indexOf("-----END PRIVATE KEY-----");
      if (a < 0 || z < a)
        throw new IllegalArgumentException(
            keyFile
                + " is not a PKCS#8 PEM key (BEGIN PRIVATE KEY); convert it: openssl pkcs8 -topk8"
                + " -nocrypt -in KEY");
      byte[] der = Base64.getMimeDecoder().decode(pem.substring(a + 27, z).replaceAll("\\s", ""));
      PrivateKey key = null;
      for (String alg : List.of("EC", "RSA", "Ed25519")) {
        try {
          key = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
          break;
        } catch (InvalidKeySpecException e) {
          // try the next algorithm
        }
      }
      if (key == null) throw new IllegalArgumentException(keyFile + ": unsupported key type");
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      ks.setKeyEntry("client", key, new char[0], chain);
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
      return kmf.getKeyManagers();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read client certificate or key: " + e.getMessage());
    }
  }

  /** CONSUL_HTTP_SSL_VERIFY=false: the operator turned verification off on purpose. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /**
   * A client for a plain-http API on the loopback (Envoy's admin API): connect and read timeout, no
   * TLS set-up.
   */
  public static Call.Factory local(String base, Duration timeout) {
    InputLog.effect("http " + base);
    if (!base.startsWith("http://")) throw new IllegalArgumentException("not http: " + base);
    return new OkHttpClient.Builder()
        .connectTimeout(timeout)
        .readTimeout(timeout)
        .connectionSpecs(List.of(ConnectionSpec.CLEARTEXT))
        .build();
  }
}
