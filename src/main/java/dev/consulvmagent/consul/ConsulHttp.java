package dev.consulvmagent.consul;

import dev.consulvmagent.host.HttpClients;
import dev.consulvmagent.spec.Secret;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;

/**
 * The one transport to a Consul agent's HTTP API: every typed API ({@link AgentApi}, the ACL, KV,
 * session and intention APIs) calls through it, and nothing else in the agent talks HTTP to Consul
 * (ArchitectureTest). It adds the token header (never the query), a blocking query's {@code index}
 * and {@code wait}, bounds every answer's size and time, and turns every failure into one of the
 * {@link ConsulException} kinds — unreachable, permission denied (naming the ACL the call needs),
 * not found (with its index), bad answer — so no caller parses status codes.
 */
public final class ConsulHttp {
  /** The largest answer read (a KV value is at most 512 KiB; a catalog of thousands fits). */
  static final int MAX_BODY = 16 * 1024 * 1024;

  private static final MediaType JSON = MediaType.get("application/json");

  private final ConsulEndpoint endpoint;
  private final Call.Factory http;
  private final Duration timeout;

  /** timeout: for the whole of an ordinary call; a blocking call gets its wait on top. */
  public ConsulHttp(ConsulEndpoint endpoint, Duration timeout) {
    this(endpoint, client(endpoint, timeout), timeout);
  }

  ConsulHttp(ConsulEndpoint endpoint, Call.Factory http, Duration timeout) {
    this.endpoint = endpoint;
    this.http = http;
    this.timeout = timeout;
  }

  /** The same agent and connection pool, with token t. */
  ConsulHttp withToken(Secret t) {
    ConsulEndpoint e = endpoint;
    return new ConsulHttp(
        new ConsulEndpoint(e.scheme(), e.address(), e.pathPrefix(), Optional.of(t), e.tls()),
        http,
        timeout);
  }

  private static Call.Factory client(ConsulEndpoint e, Duration timeout) {
    if (e.scheme().equals("unix"))
      return HttpClients.consulUnix(Path.of(e.address()), timeout, Duration.ZERO);
    try {
      // no read timeout: the per-call timeout below covers a blocking query's whole hold
      return HttpClients.consul(e.scheme().equals("https"), e.tls(), timeout, Duration.ZERO);
    } catch (IllegalArgumentException x) {
      throw new InvalidEndpointException(x.getMessage());
    }
  }

  public ConsulEndpoint endpoint() {
    return endpoint;
  }

  /** An answer of any status, for the few calls that read an error's body themselves. */
  public record Raw(int code, String body, long index, boolean knownLeader) {}

  public ConsulResponse get(String path, ConsulQuery q, String acl) {
    return checked(exchange("GET", path, null, q), path, acl);
  }

  public ConsulResponse put(String path, byte[] body, ConsulQuery q, String acl) {
    return checked(exchange("PUT", path, body, q), path, acl);
  }

  public ConsulResponse post(String path, byte[] body, ConsulQuery q, String acl) {
    return checked(exchange("POST", path, body, q), path, acl);
  }

  public ConsulResponse delete(String path, ConsulQuery q, String acl) {
    return checked(exchange("DELETE", path, null, q), path, acl);
  }

  /**
   * Sends one request; throws only {@link ConsulUnavailableException} (no answer) or {@link
   * ConsulBadAnswerException} (an answer over the size bound). path: the API path, with any query
   * parameters of its own already encoded (use {@link #segment} for names that came from input).
   */
  public Raw exchange(String method, String path, byte[] body, ConsulQuery q) {
    String where = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    HttpUrl url = HttpUrl.parse(endpoint.baseUrl() + path);
    if (url == null) throw new ConsulBadAnswerException(where, 0, "not a valid request path");
    HttpUrl.Builder u = url.newBuilder();
    if (q.index() > 0) u.addQueryParameter("index", Long.toString(q.index()));
    if (!q.waitTime().isZero())
      u.addQueryParameter("wait", Math.max(1, q.waitTime().toMillis()) + "ms");
    if (q.consistent()) u.addQueryParameter("consistent", "");
    Request.Builder rb = new Request.Builder().url(u.build());
    Optional<Secret> token = q.token().or(endpoint::token);
    token.ifPresent(t -> rb.header("X-Consul-Token", t.value()));
    RequestBody rbody =
        body == null
            ? (method.equals("GET") || method.equals("DELETE")
                ? null
                : RequestBody.create(new byte[0], null))
            : RequestBody.create(body, JSON);
    rb.method(method, rbody);
    Call call = http.newCall(rb.build());
    call.timeout().timeout(timeout.plus(q.serverHold()).toMillis(), TimeUnit.MILLISECONDS);
    try (Response r = call.execute()) {
      return new Raw(
          r.code(),
          read(r.body(), where),
          index(r.header("X-Consul-Index")),
          "true".equals(r.header("X-Consul-KnownLeader")));
    } catch (InterruptedIOException e) {
      throw new ConsulUnavailableException(
          where,
          "the Consul agent at "
              + endpoint.display()
              + " did not answer "
              + method
              + " "
              + where
              + " in time; is it overloaded or electing a leader?");
    } catch (IOException e) {
      throw new ConsulUnavailableException(
          where,
          "cannot reach the Consul agent at "
              + endpoint.display()
              + where
              + " ("
              + e.getMessage()
              + "); is consul.service active? try: systemctl status consul");
    }
  }

  private static ConsulResponse checked(Raw a, String path, String acl) {
    String where = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    int c = a.code();
    if (c >= 200 && c < 300) return new ConsulResponse(c, a.body(), a.index(), a.knownLeader());
    if (c == 403) throw new ConsulPermissionDeniedException(where, acl, excerpt(a.body()));
    if (c == 404) throw new ConsulNotFoundException(where, a.index());
    if (c == 429 || c == 502 || c == 503 || c == 504 || (c == 500 && unavailable(a.body())))
      throw new ConsulUnavailableException(
          where,
          where + ": Consul cannot serve it now (HTTP " + c + ": " + excerpt(a.body()) + ")");
    throw new ConsulBadAnswerException(where, c, excerpt(a.body()));
  }

  /** The 500 answers of a cluster without a leader or a client without servers (real 1.8.7). */
  static boolean unavailable(String body) {
    return body.contains("No cluster leader")
        || body.contains("No known Consul servers")
        || body.contains("No path to datacenter")
        || body.contains("rpc error making call: EOF");
  }

  private static String read(ResponseBody b, String where) throws IOException {
    if (b == null) return "";
    BufferedSource s = b.source();
    if (s.request(MAX_BODY + 1L))
      throw new ConsulBadAnswerException(where, 200, "the answer is over 16 MiB; refused");
    return s.readString(StandardCharsets.UTF_8);
  }

  private static long index(String h) {
    if (h == null) return 0;
    try {
      long v = Long.parseUnsignedLong(h.strip());
      return v < 0 ? Long.MAX_VALUE : v; // an index above 2^63 is clamped, never negative
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** At most 200 characters of a body, controls escaped: safe in a message. */
  static String excerpt(String body) {
    String s = body.strip();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 200; i++) {
      char ch = s.charAt(i);
      b.append(ch < 0x20 || ch == 0x7f ? String.format("\\x%02x", (int) ch) : String.valueOf(ch));
    }
    return s.length() > 200 ? b + "…" : b.toString();
  }

  /**
   * One path segment (a service name, a KV key part) percent-encoded; "." and ".." and empty
   * segments refused, so an input never walks to another endpoint.
   */
  public static String segment(String s) {
    if (s.isEmpty() || s.equals(".") || s.equals(".."))
      throw new IllegalArgumentException("'" + s + "' is not a path segment");
    return new HttpUrl.Builder()
        .scheme("http")
        .host("x")
        .addPathSegment(s)
        .build()
        .encodedPath()
        .substring(1);
  }

  /**
   * A KV key (segments joined by /), each segment through {@link #segment}; a trailing / (a prefix)
   * is kept.
   */
  public static String key(String key) {
    boolean prefix = key.endsWith("/");
    String[] parts = (prefix ? key.substring(0, key.length() - 1) : key).split("/", -1);
    StringBuilder b = new StringBuilder();
    for (String part : parts) {
      if (b.length() > 0) b.append('/');
      b.append(segment(part));
    }
    return prefix ? b + "/" : b.toString();
  }
}
