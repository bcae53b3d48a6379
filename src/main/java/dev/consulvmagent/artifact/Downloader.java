package dev.consulvmagent.artifact;

import dev.consulvmagent.engine.RunEvent;
import dev.consulvmagent.host.FileStat;
import dev.consulvmagent.host.HttpClients;
import dev.consulvmagent.host.LocalFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * HTTP GETs with timeouts, bounded retries with backoff on 5xx, resets and truncated bodies
 * (resuming with Range where the server allows), and no retry on 4xx. HTTP(S) proxies from the
 * environment (https_proxy, http_proxy, no_proxy) are honoured.
 */
public final class Downloader {
  private final HttpClients.Downloads clients;
  private final StallWatchdog stalls;
  private final int attempts;
  private final Duration backoff;
  private final Limits limits;

  public Downloader(Duration connectTimeout, Duration readTimeout, int attempts, Duration backoff) {
    this(connectTimeout, readTimeout, attempts, backoff, System.getenv());
  }

  Downloader(
      Duration connectTimeout,
      Duration readTimeout,
      int attempts,
      Duration backoff,
      Map<String, String> env) {
    this(connectTimeout, readTimeout, attempts, backoff, env, Limits.DEFAULT);
  }

  Downloader(
      Duration connectTimeout,
      Duration readTimeout,
      int attempts,
      Duration backoff,
      Limits limits) {
    this(connectTimeout, readTimeout, attempts, backoff, System.getenv(), limits);
  }

  Downloader(
      Duration connectTimeout,
      Duration readTimeout,
      int attempts,
      Duration backoff,
      Map<String, String> env,
      Limits limits) {
    this.limits = limits;
    // no read timeout in the client: the StallWatchdog enforces readTimeout, far more cheaply
    this.clients = HttpClients.downloads(connectTimeout, EnvProxySelector.fromEnvironment(env));
    this.stalls = new StallWatchdog(readTimeout, limits.speedLimit(), limits.speedTime());
    this.attempts = attempts;
    this.backoff = backoff;
  }

  private Response execute(Request request, StallWatchdog.Watch watch) throws IOException {
    okhttp3.Call call = clients.client(request.url()).newCall(request);
    watch.arm(call);
    Response r;
    try {
      r = call.execute();
    } catch (IllegalStateException e) {
      // okhttp reads one more header block after an interim 100 Continue; a server that sends
      // another finds its HTTP/1 codec in the wrong state and it throws "state: 3" (observed with
      // this okhttp: DownloadMessagesTest), which says nothing to an operator
      if (String.valueOf(e.getMessage()).startsWith("state:")) throw new NoFinalResponse(e);
      throw e;
    }
    String location = r.isRedirect() ? r.header("Location") : null;
    HttpUrl next = location == null ? null : request.url().resolve(location);
    if (next != null && next.isHttps() && !request.url().isHttps()) {
      r.close();
      return execute(request.newBuilder().url(next).build(), watch);
    }
    return r;
  }

  /** The server sent interim 1xx answers (100 Continue) and no final response: not retried. */
  static final class NoFinalResponse extends IOException {
    NoFinalResponse(Throwable cause) {
      super(
          "answered only with interim responses (HTTP 100 Continue) and never a final one", cause);
    }
  }

  private static ArtifactException noFinal(String what, String url, NoFinalResponse e) {
    return new ArtifactException(
        what + ": GET " + url + " " + e.getMessage() + "; check the URL or mirror", e);
  }

  private String describe(Throwable e, StallWatchdog.Watch watch) {
    if (watch.expired()) return overall(watch);
    if (watch.slow()) return slow(watch);
    return watch.fired()
        ? "timed out (no data for " + stalls.limit().toMillis() + " ms)"
        : describe(e);
  }

  /** Whether the download is over for good: the overall deadline or the low-speed limit. */
  private static boolean over(StallWatchdog.Watch watch) {
    return watch.expired() || watch.slow();
  }

  private String slow(StallWatchdog.Watch watch) {
    return "was slower than "
        + stalls.speedLimit()
        + " bytes/s for "
        + stalls.speedTime().toSeconds()
        + " s (downloads.speed_limit and downloads.speed_time)";
  }

  private String ended(StallWatchdog.Watch watch) {
    return watch.slow() ? slow(watch) : overall(watch);
  }

  private static String overall(StallWatchdog.Watch watch) {
    return "took longer than the overall limit of " + watch.allowed().toSeconds() + " s";
  }

  Limits limits() {
    return limits;
  }

  public static Downloader defaults() {
    return defaults(Limits.DEFAULT);
  }

  /** The production timeouts and retries, within limits. */
  public static Downloader defaults(Limits limits) {
    return new Downloader(
        Duration.ofSeconds(10), Duration.ofSeconds(30), 4, Duration.ofMillis(500), limits);
  }

  /** A small document (a checksums file, a signature); 404 → empty. */
  public Optional<byte[]> fetchSmall(String what, String url) {
    if (url.startsWith("file:")) {
      Path p = Path.of(URI.create(url));
      try {
        FileStat st;
        try {
          st = LocalFiles.stat(p);
        } catch (NoSuchFileException e) {
          return Optional.empty(); // not there: the caller's "not found"
        }
        if (st.type() != FileStat.Type.FILE) {
          // a FIFO or device is never read, and is no "not found" either (issue 20)
          throw new ArtifactException(
              what
                  + ": "
                  + p
                  + " is not a regular file (a FIFO, device, directory or a link to one);"
                  + " refusing to read it: put the file itself in the mirror directory");
        }
        if (LocalFiles.stat(p).size() > limits.maxDocument())
          throw tooLarge(what, url, limits.maxDocument());
        try (InputStream in = LocalFiles.open(p)) {
          byte[] b = in.readNBytes((int) limits.maxDocument() + 1);
          if (b.length > limits.maxDocument()) throw tooLarge(what, url, limits.maxDocument());
          return Optional.of(b);
        }
      } catch (IOException e) {
        throw new ArtifactException(what + ": cannot read " + p + ": " + e.getMessage());
      }
    }
    IOException last = null;
    try (StallWatchdog.Watch watch = stalls.watch(limits.documentDeadline())) {
      for (int i = 1; i <= attempts && !over(watch); i++) {
        try (Response r = execute(new Request.Builder().url(url).build(), watch)) {
          if (r.code() == 404) return Optional.empty();
          if (r.code() >= 500) {
            last = new IOException("HTTP " + r.code());
          } else if (!r.isSuccessful()) {
            throw new ArtifactException(
                what + ": GET " + url + " answered HTTP " + r.code() + "; check the URL or mirror");
          } else {
            ResponseBody b = r.body();
            if (b.contentLength() > limits.maxDocument())
              throw tooLarge(what, url, limits.maxDocument());
            // read with progress, so a slow but flowing answer is not taken for a stall
            ByteArrayOutputStream doc = new ByteArrayOutputStream();
            try (InputStream in = b.byteStream()) {
              byte[] buf = new byte[8192];
              int n;
              while ((n = in.read(buf)) > 0) {
                // no Content-Length (or a lying one): the cap holds while reading
                if (doc.size() + n > limits.maxDocument())
                  throw tooLarge(what, url, limits.maxDocument());
                doc.write(buf, 0, n);
                watch.progress(n);
              }
            }
            return Optional.of(doc.toByteArray());
          }
        } catch (NoFinalResponse e) {
          throw noFinal(what, url, e);
        } catch (IOException e) {
          last = e;
        }
        if (!over(watch)) sleep(i);
      }
      if (over(watch)) {
        throw new ArtifactException(
            what
                + ": GET "
                + url
                + " "
                + ended(watch)
                + "; check the network, proxy settings or --mirror");
      }
      throw new ArtifactException(
          what
              + ": GET "
              + url
              + " failed after "
              + attempts
              + " attempts: "
              + describe(last, watch)
              + "; check the network, proxy settings or --mirror");
    }
  }

  static ArtifactException tooLarge(String what, String url, long max) {
    return new ArtifactException(
        what
            + ": "
            + url
            + " is larger than "
            + RunEvent.mib(max)
            + ", far more than such a file can be; refusing it, nothing kept (a wrong URL or a"
            + " hostile mirror? the bound is downloads.max_size_mib in the agent config)");
  }

  /**
   * Opens a body stream that transparently resumes after a reset or truncation; a file: URL (a
   * directory of pre-downloaded artifacts) is read directly.
   */
  public Source open(String what, String url) {
    return open(what, url, limits.maxDownload());
  }

  /** As {@link #open(String, String)}, refusing more than maxBytes (the artifact kind's bound). */
  public Source open(String what, String url, long maxBytes) {
    if (url.startsWith("file:")) {
      Path p = Path.of(URI.create(url));
      try {
        FileStat st = LocalFiles.stat(p); // nothing there: NoSuchFileException, below
        if (st.type() != FileStat.Type.FILE) {
          throw new ArtifactException(
              what
                  + ": "
                  + p
                  + " is not a regular file (a FIFO, device or"
                  + " directory); refusing to read it");
        }
        if (st.size() > maxBytes) throw tooLarge(what, url, maxBytes);
        return new FileSource(LocalFiles.open(p), st.size());
      } catch (NoSuchFileException e) {
        throw new ArtifactException(
            what
                + ": "
                + p
                + " does not exist in the artifact directory; check the version and the mirror"
                + " path");
      } catch (IOException e) {
        throw new ArtifactException(what + ": cannot read " + p + ": " + e.getMessage());
      }
    }
    return new Body(what, url, maxBytes);
  }

  /** A download's bytes and, when known, their length. */
  public abstract static class Source extends InputStream {
    public abstract long contentLength();

    /** The Content-Type the server declared; empty for a file or when absent. */
    public String contentType() {
      return "";
    }

    @Override
    public abstract void close();
  }

  private static final class FileSource extends Source {
    private final InputStream in;
    private final long length;

    FileSource(InputStream in, long length) {
      this.in = in;
      this.length = length;
    }

    @Override
    public long contentLength() {
      return length;
    }

    @Override
    public int read() throws IOException {
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return in.read(b, off, len);
    }

    @Override
    public void close() {
      try {
        in.close();
      } catch (IOException ignored) {
        // read-only
      }
    }
  }

  private void sleep(int attempt) {
    if (attempt >= attempts) return;
    try {
      Thread.sleep(backoff.toMillis() * (1L << (attempt - 1)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ArtifactException("interrupted");
    }
  }

  static String describe(Throwable e) {
    if (e == null) return "unknown error";
    if (e instanceof SocketTimeoutException || e instanceof InterruptedIOException)
      return "timed out (" + e.getMessage() + ")";
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  /** A response body as an InputStream that resumes with Range after a failure mid-way. */
  public final class Body extends Source {
    private final String what;
    private final String url;
    private final long maxBytes;
    private Response response;
    private InputStream in;
    private long position;
    private long total = -1;
    private int failures;
    private String contentType = "";
    private final StallWatchdog.Watch watch = stalls.watch(limits.downloadDeadline());

    Body(String what, String url, long maxBytes) {
      this.what = what;
      this.url = url;
      this.maxBytes = maxBytes;
      try {
        connect();
      } catch (RuntimeException e) {
        watch.close();
        throw e;
      }
    }

    @Override
    public long contentLength() {
      return total;
    }

    @Override
    public String contentType() {
      return contentType;
    }

    private ArtifactException late() {
      return new ArtifactException(
          what
              + ": download of "
              + url
              + " "
              + ended(watch)
              + " ("
              + position
              + " bytes arrived); check the network or mirror");
    }

    private void connect() {
      IOException last = null;
      while (true) {
        if (over(watch)) throw late();
        Request.Builder rb = new Request.Builder().url(url);
        if (position > 0) rb.header("Range", "bytes=" + position + "-");
        try {
          Response r = execute(rb.build(), watch);
          int code = r.code();
          if (code == 404 || (code >= 400 && code < 500 && code != 408 && code != 429)) {
            r.close();
            throw new ArtifactException(
                what
                    + ": GET "
                    + url
                    + " answered HTTP "
                    + code
                    + (code == 404
                        ? " (not found): check the version, architecture and mirror"
                        : "; not retried"));
          }
          if (code >= 500 || code == 408 || code == 429) {
            r.close();
            last = new IOException("HTTP " + code);
          } else if (position > 0 && code == 206) {
            attach(r, false);
            return;
          } else if (code == 200) {
            attach(r, true);
            if (position > 0) {
              // the server ignored Range: skip what we already have
              long skipped = in.skip(position);
              long left = position - skipped;
              while (left > 0 && in.read() >= 0) left--;
              if (left > 0) throw new IOException("server restarted with a shorter body");
            }
            return;
          } else {
            r.close();
            throw new ArtifactException(what + ": GET " + url + " answered HTTP " + code);
          }
        } catch (NoFinalResponse e) {
          throw noFinal(what, url, e);
        } catch (IOException e) {
          last = e;
        }
        failures++;
        if (failures >= attempts) {
          throw new ArtifactException(
              what
                  + ": GET "
                  + url
                  + " failed after "
                  + attempts
                  + " attempts: "
                  + describe(last, watch)
                  + "; check the network, proxy settings or --mirror");
        }
        sleep(failures);
      }
    }

    private void attach(Response r, boolean fresh) {
      this.response = r;
      this.in = r.body().byteStream();
      if (fresh && total < 0) total = r.body().contentLength();
      String type = r.header("Content-Type");
      if (type != null) contentType = type;
      if (total > maxBytes) {
        r.close();
        throw tooLarge(what, url, maxBytes);
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      while (true) {
        try {
          int n = in.read(b, off, len);
          if (n < 0 && total >= 0 && position < total)
            throw new IOException("body truncated at " + position + " of " + total);
          if (n > 0) {
            position += n;
            // an endless body (no Content-Length) ends here, not when the disk is full
            if (position > maxBytes) throw tooLarge(what, url, maxBytes);
            watch.progress(n);
          }
          return n;
        } catch (IOException e) {
          response.close();
          if (over(watch)) throw late();
          failures++;
          if (failures >= attempts) {
            throw new ArtifactException(
                what
                    + ": download of "
                    + url
                    + " broke off at byte "
                    + position
                    + " after "
                    + attempts
                    + " attempts: "
                    + describe(e, watch)
                    + "; check the network or mirror",
                e);
          }
          sleep(failures);
          connect();
        }
      }
    }

    @Override
    public void close() {
      watch.close();
      if (response != null) response.close();
    }
  }

  /** Proxy selection from the conventional environment variables. */
  static final class EnvProxySelector extends ProxySelector {
    private final Proxy http;
    private final Proxy https;
    private final List<String> noProxy;

    private EnvProxySelector(Proxy http, Proxy https, List<String> noProxy) {
      this.http = http;
      this.https = https;
      this.noProxy = noProxy;
    }

    static ProxySelector fromEnvironment(Map<String, String> env) {
      Proxy http = proxy(first(env, "http_proxy", "HTTP_PROXY"));
      Proxy https = proxy(first(env, "https_proxy", "HTTPS_PROXY"));
      String np = first(env, "no_proxy", "NO_PROXY");
      List<String> no =
          np == null
              ? List.of()
              : Arrays.stream(np.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
      return new EnvProxySelector(http, https, no);
    }

    private static String first(Map<String, String> env, String a, String b) {
      String v = env.get(a);
      return v == null || v.isBlank() ? env.get(b) : v;
    }

    private static Proxy proxy(String url) {
      if (url == null || url.isBlank()) return Proxy.NO_PROXY;
      URI u = URI.create(url.contains("://") ? url : "http://" + url);
      return new Proxy(
          Proxy.Type.HTTP,
          InetSocketAddress.createUnresolved(u.getHost(), u.getPort() < 0 ? 80 : u.getPort()));
    }

    @Override
    public List<Proxy> select(URI uri) {
      String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
      for (String n : noProxy) {
        String d = n.toLowerCase(Locale.ROOT);
        if (d.equals("*") || host.equals(d) || host.endsWith(d.startsWith(".") ? d : "." + d))
          return List.of(Proxy.NO_PROXY);
      }
      return List.of("https".equals(uri.getScheme()) ? https : http);
    }

    @Override
    public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
  }
}
