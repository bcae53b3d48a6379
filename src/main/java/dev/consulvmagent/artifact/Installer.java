package dev.consulvmagent.artifact;

import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.HostFs;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Fetches an artifact into a temp file next to its destination in one pass: the download is
 * hashed and written to the cache while the wanted entry is unpacked. Only when the digest
 * matches is the result kept; the installed binary is never touched before that.
 */
public final class Installer {
  private static final int IO_BUFFER = 1 << 18;
  private final java.util.function.Supplier<Downloader> downloaderSupplier;
  private final java.util.function.Supplier<ChecksumResolver> checksumsSupplier;
  private final EventSink events;
  private Downloader downloader;
  private ChecksumResolver checksums;

  public Installer(Downloader downloader, ChecksumResolver checksums, EventSink events) {
    this(() -> downloader, () -> checksums, events);
  }

  private Installer(java.util.function.Supplier<Downloader> d, java.util.function.Supplier<ChecksumResolver> c, EventSink events) {
    this.downloaderSupplier = d;
    this.checksumsSupplier = c;
    this.events = events;
  }

  /** The production installer: HTTP client and pinned keys are built on first download only. */
  public static Installer lazy(EventSink events) {
    java.util.function.Supplier<Downloader> dl = memo(Downloader::defaults);
    return new Installer(dl, memo(() -> new ChecksumResolver(dl.get(), memo(ChecksumResolver::pinnedKeys))), events);
  }

  private static <T> java.util.function.Supplier<T> memo(java.util.function.Supplier<T> s) {
    return new java.util.function.Supplier<>() {
      private T value;

      @Override
      public synchronized T get() {
        if (value == null) value = s.get();
        return value;
      }
    };
  }

  private synchronized void init() {
    if (downloader == null) {
      downloader = downloaderSupplier.get();
      checksums = checksumsSupplier.get();
    }
  }

  /** Result of preparing: a verified temp file ready to be renamed over the destination. */
  public record Prepared(Path temp, String archiveSha256, String binarySha256, boolean downloaded) {}

  private final java.util.Map<String, java.util.concurrent.CompletableFuture<Prepared>> inFlight =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Starts preparing an artifact in the background (apply only: as soon as the config is valid,
   * so downloads overlap planning); a later {@link #prepare} for it joins the download.
   */
  public void prefetch(Artifact a, HostFs fs, String cacheDir) {
    inFlight.computeIfAbsent(a.destination() + " " + a.url(), k -> java.util.concurrent.CompletableFuture.supplyAsync(
        () -> download(a, fs, cacheDir), r -> {
          Thread t = new Thread(r, "prefetch " + a.name());
          t.setDaemon(true);
          t.start();
        }));
  }

  /**
   * The run failed before using its prefetches: waits for those still running (they write under
   * the root, so they must end while the run lock is held) and deletes what they staged.
   */
  public void discardPrefetches() {
    for (var f : inFlight.values()) {
      try {
        HostFs.deleteQuietly(f.join().temp());
      } catch (RuntimeException ignored) {
        // a failed prefetch cleaned up after itself
      }
    }
    inFlight.clear();
  }

  public Prepared prepare(Artifact a, HostFs fs, String cacheDir) {
    java.util.concurrent.CompletableFuture<Prepared> f = inFlight.remove(a.destination() + " " + a.url());
    if (f == null) return download(a, fs, cacheDir);
    try {
      return f.join();
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : new ArtifactException(a.name() + ": " + e.getCause(), e.getCause());
    }
  }

  private Prepared download(Artifact a, HostFs fs, String cacheDir) {
    Path dest = fs.resolve(a.destination());
    // first: a read-only host (plan) refuses here, before any network; no link followed (HostFs)
    fs.createParents(dest);
    init();
    String expected = checksums.expectedSha256(a);
    Path temp = fs.tempSibling(dest);
    Path cached = fs.resolve(cacheDir + "/" + expected);
    try {
      if (Files.isRegularFile(cached, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        String have = hash(cached);
        if (have.equals(expected)) {
          events.info("using cached " + a.name() + " (sha256 " + expected.substring(0, 12) + ")");
          if (a.packing() == Artifact.Packing.RAW) {
            Files.copy(cached, temp);
            return new Prepared(temp, expected, expected, false);
          }
          try (InputStream in = Files.newInputStream(cached)) {
            String bin = unpack(a, in, temp);
            return new Prepared(temp, expected, bin, false);
          }
        }
        Files.deleteIfExists(cached); // a damaged cache entry is simply dropped
      }
      fs.createParents(cached);
      Path cacheTemp = fs.tempSibling(cached);
      MessageDigest md = HostFs.sha256Digest();
      String bin;
      long size;
      try (Downloader.Source body = downloader.open(a.name(), a.url());
          OutputStream cacheOut = new java.io.BufferedOutputStream(fs.newTempFile(cacheTemp), IO_BUFFER)) {
        Progress progress = new Progress(events, a.name(), a.url(), body.contentLength());
        Tee tee = new Tee(body, cacheOut, md, progress);
        // a bare binary is the download itself: hash it once, copy it from the cache below
        bin = a.packing() == Artifact.Packing.RAW ? null : unpack(a, tee, temp);
        tee.drain();
        size = tee.count;
        progress.done(size);
      } catch (RuntimeException | IOException e) {
        HostFs.deleteQuietly(temp);
        HostFs.deleteQuietly(cacheTemp);
        throw e;
      }
      String actual = HexFormat.of().formatHex(md.digest());
      if (!actual.equals(expected)) {
        HostFs.deleteQuietly(temp);
        HostFs.deleteQuietly(cacheTemp);
        throw new ChecksumMismatchException(a.name(), a.url(), expected, actual);
      }
      Files.move(cacheTemp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      if (bin == null) {
        Files.copy(cached, temp);
        bin = actual;
      }
      return new Prepared(temp, expected, bin, true);
    } catch (IOException e) {
      HostFs.deleteQuietly(temp);
      throw new ArtifactException(a.name() + ": cannot write under " + dest.getParent() + ": " + e.getMessage(), e);
    }
  }

  /** Writes the binary from the (archive) stream to temp; returns the binary's sha256. */
  private String unpack(Artifact a, InputStream in, Path temp) throws IOException {
    if (a.packing() == Artifact.Packing.RAW) return copy(in, temp);
    // archive readers ask for small pieces (512 bytes for stored zip entries): read ahead in
    // large blocks so hashing and the cache copy see big chunks, not half a million syscalls
    InputStream ahead = new java.io.BufferedInputStream(new NoClose(in), 1 << 16);
    ArchiveInputStream<? extends ArchiveEntry> arc = a.packing() == Artifact.Packing.ZIP
        ? new ZipArchiveInputStream(ahead, "UTF-8", true, true)
        : new TarArchiveInputStream(new GzipCompressorInputStream(ahead));
    String chosen = null;
    String sha = null;
    ArchiveEntry e;
    while ((e = arc.getNextEntry()) != null) {
      if (e.isDirectory()) continue;
      String base = e.getName().substring(e.getName().lastIndexOf('/') + 1);
      boolean wanted = a.entry().map(base::equals).orElse(!isDocumentation(base));
      if (!wanted) continue;
      if (chosen != null) {
        HostFs.deleteQuietly(temp);
        throw new ArtifactException(a.name() + ": " + a.url() + " holds several programs (" + chosen + ", " + base
            + "); name the one to install with archive_entry");
      }
      chosen = base;
      sha = copy(arc, temp);
    }
    if (chosen == null) {
      throw new ArtifactException(a.name() + ": " + a.url() + " has no entry " + a.entry().orElse("(program)")
          + "; check archive_entry");
    }
    return sha;
  }

  private static boolean isDocumentation(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.startsWith("license") || n.startsWith("readme") || n.endsWith(".txt") || n.endsWith(".md") || n.startsWith("notice");
  }

  private static String copy(InputStream in, Path temp) throws IOException {
    MessageDigest md = HostFs.sha256Digest();
    try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(temp,
        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE,
        java.nio.file.LinkOption.NOFOLLOW_LINKS), IO_BUFFER)) {
      byte[] buf = new byte[1 << 17];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
        out.write(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  static String hash(Path p) throws IOException {
    MessageDigest md = HostFs.sha256Digest();
    try (InputStream in = Files.newInputStream(p)) {
      byte[] buf = new byte[1 << 17];
      int n;
      while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** Hashes and copies every byte read through it to the cache file. */
  private static final class Tee extends FilterInputStream {
    private final OutputStream copy;
    private final MessageDigest md;
    private final Progress progress;
    long count;

    Tee(InputStream in, OutputStream copy, MessageDigest md, Progress progress) {
      super(in);
      this.copy = copy;
      this.md = md;
      this.progress = progress;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        md.update(b, off, n);
        copy.write(b, off, n);
        count += n;
        progress.update(count);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] buf = new byte[(int) Math.min(n, 1 << 16)];
      int r = read(buf, 0, buf.length);
      return Math.max(r, 0);
    }

    void drain() throws IOException {
      byte[] buf = new byte[1 << 17];
      while (read(buf, 0, buf.length) >= 0) {
        // hash and cache the rest (a zip's central directory)
      }
    }
  }

  /** Keeps an archive reader from closing the shared download stream. */
  private static final class NoClose extends FilterInputStream {
    NoClose(InputStream in) {
      super(in);
    }

    @Override
    public void close() {}
  }
}
