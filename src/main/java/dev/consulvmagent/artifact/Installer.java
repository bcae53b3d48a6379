package dev.consulvmagent.artifact;

import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Redact;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.resource.BinarySource;
import dev.consulvmagent.resource.ProgramDigest;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Fetches an artifact into a temp file next to its destination: the download is hashed while it is
 * written to the cache (one pass), the digest is checked, and only then is the program unpacked
 * from the cache file, within {@link Limits}. The installed binary is never touched.
 */
public final class Installer {
  private static final int IO_BUFFER = 1 << 18;
  private final Supplier<Downloader> downloaderSupplier;
  private final Supplier<ChecksumResolver> checksumsSupplier;
  private final EventSink events;
  private final Limits limits;
  private Downloader downloader;
  private ChecksumResolver checksums;

  public Installer(Downloader downloader, ChecksumResolver checksums, EventSink events) {
    this(() -> downloader, () -> checksums, events, downloader.limits());
  }

  private Installer(
      Supplier<Downloader> d, Supplier<ChecksumResolver> c, EventSink events, Limits limits) {
    this.downloaderSupplier = d;
    this.checksumsSupplier = c;
    this.events = events;
    this.limits = limits;
  }

  /** The production installer: HTTP client and pinned keys are built on first download only. */
  public static Installer lazy(EventSink events) {
    return lazy(events, Limits.DEFAULT);
  }

  /** The production installer within limits (the config's downloads block, {@link Artifacts}). */
  public static Installer lazy(EventSink events, Limits limits) {
    Supplier<Downloader> dl = memo(() -> Downloader.defaults(limits));
    return new Installer(
        dl,
        memo(() -> new ChecksumResolver(dl.get(), memo(ChecksumResolver::pinnedKeys))),
        events,
        limits);
  }

  private static <T> Supplier<T> memo(Supplier<T> s) {
    return new Supplier<>() {
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
  public record Prepared(
      Path temp, String archiveSha256, ProgramDigest binaryDigest, boolean downloaded)
      implements BinarySource.Staged {}

  /** The artifact as a BinaryResource's source, prepared by this installer. */
  public BinarySource source(Artifact a) {
    return new ArtifactSource(a, this);
  }

  private record ArtifactSource(Artifact artifact, Installer installer) implements BinarySource {
    @Override
    public String destination() {
      return artifact.destination();
    }

    @Override
    public String source() {
      return artifact.canonicalUrl();
    }

    @Override
    public String fetchedFrom() {
      return Redact.urlCredentials(artifact.url());
    }

    @Override
    public String verifiedBy() {
      return artifact.verification().describe();
    }

    @Override
    public Optional<String> pinnedSha256() {
      return artifact.verification() instanceof Verification.Pinned p
          ? Optional.of(p.sha256())
          : Optional.empty();
    }

    @Override
    public int mode() {
      return artifact.mode();
    }

    @Override
    public Prepared prepare(HostFs fs, String cacheDir) {
      return installer.prepare(artifact, fs, cacheDir);
    }
  }

  public Prepared prepare(Artifact a, HostFs fs, String cacheDir) {
    return download(a, fs, cacheDir);
  }

  /**
   * Verify first, then unpack: the download is hashed while it is written to the cache, and only a
   * file whose digest matches (or one the config explicitly left unverified) is unpacked, within
   * the archive limits. The destination's existing binary is never touched here: the result is a
   * temp file next to it, renamed over it later by the caller.
   */
  private Prepared download(Artifact a, HostFs fs, String cacheDir) {
    Path dest = fs.resolve(a.destination());
    // first: a read-only host (plan) refuses here, before any network; no link followed (HostFs)
    fs.createParents(dest);
    init();
    // empty only when the config explicitly opted out (app.insecure_skip_checksum)
    Optional<String> expected = checksums.expected(a);
    Path temp = fs.tempSibling(dest);
    Path cacheRoot = fs.resolve(cacheDir);
    try {
      if (expected.isPresent()) {
        Path cached = cacheRoot.resolve(expected.get());
        if (fs.isRegularFile(cached)) {
          String have = hash(fs, cached);
          if (have.equals(expected.get())) {
            events.info("using cached " + a.name() + " (sha256 " + have.substring(0, 12) + ")");
            return unpackVerified(
                a, fs, cached, temp, have, false, Arrival.of(a.url(), "", fs, cached));
          }
          fs.deleteFile(cached); // a damaged cache entry is simply dropped
        }
      }
      fs.createParents(cacheRoot.resolve(expected.orElse("unverified")));
      Path cacheTemp = fs.tempSibling(cacheRoot.resolve(expected.orElse("unverified")));
      MessageDigest md = HostFs.sha256Digest();
      Arrival arrival;
      try (Downloader.Source body = downloader.open(a.name(), a.url(), a.maxBytes(limits));
          OutputStream cacheOut = new BufferedOutputStream(fs.newTempFile(cacheTemp), IO_BUFFER)) {
        Progress progress = new Progress(events, a.name(), a.url(), body.contentLength());
        DiskRoom room = new DiskRoom(a, fs, cacheRoot, limits.minFreeSpace());
        room.before(body.contentLength());
        Tee tee = new Tee(body, new DiskRoom.Guarded(cacheOut, room), md, progress);
        tee.drain(); // one pass: hash and cache; nothing is unpacked before the digest is known
        progress.done(tee.count);
        arrival = new Arrival(a.url(), body.contentType(), tee.count, tee.head());
      } catch (RuntimeException | IOException e) {
        fs.discardQuietly(cacheTemp);
        throw e;
      }
      String actual = HexFormat.of().formatHex(md.digest());
      if (expected.isPresent() && !actual.equals(expected.get())) {
        fs.discardQuietly(cacheTemp);
        throw new ChecksumMismatchException(
            a.name(), a.url(), expected.get(), actual, arrival.describe());
      }
      if (expected.isEmpty()) {
        events.info(
            "warning: "
                + a.name()
                + " installed WITHOUT verification ("
                + a.verification().describe()
                + "); its sha256 is "
                + actual);
      }
      Path cached = cacheRoot.resolve(actual);
      fs.moveTemp(cacheTemp, cached);
      try {
        return unpackVerified(a, fs, cached, temp, actual, true, arrival);
      } catch (RuntimeException | IOException e) {
        // an unverified download that is no usable archive (a login page…) is not kept; a
        // verified one is exactly what upstream published and saves the next try a download
        if (expected.isEmpty()) fs.discardQuietly(cached);
        throw e;
      }
    } catch (IOException e) {
      fs.discardQuietly(temp);
      throw new ArtifactException(
          a.name() + ": cannot write under " + dest.getParent() + ": " + e.getMessage(), e);
    }
  }

  /** The program from a verified cache file, into temp; never leaves a partial temp behind. */
  private Prepared unpackVerified(
      Artifact a,
      HostFs fs,
      Path cached,
      Path temp,
      String archiveSha,
      boolean downloaded,
      Arrival arrival)
      throws IOException {
    try {
      ProgramDigest bin;
      if (a.packing() == Artifact.Packing.RAW) {
        if (arrival.looksLikeHtml()) {
          throw new ArtifactException(
              a.name() + ": " + arrival.describe() + ", not a program; refusing it");
        }
        // the program lands next to its destination, often another file system than the cache
        new DiskRoom(a, fs, temp.getParent(), limits.minFreeSpace())
            .before(fs.size(cached), "program");
        fs.copyToTemp(cached, temp);
        bin = ProgramDigest.sha256(archiveSha);
      } else {
        bin = ProgramDigest.crc32(Unpacker.unpack(a, fs, cached, temp, limits, arrival));
      }
      if (fs.size(temp) == 0) {
        throw new ArtifactException(
            a.name() + ": the program from " + a.url() + " is empty; refusing to install it");
      }
      return new Prepared(temp, archiveSha, bin, downloaded);
    } catch (RuntimeException | IOException e) {
      fs.discardQuietly(temp);
      throw e;
    }
  }

  static String hash(HostFs fs, Path p) throws IOException {
    MessageDigest md = HostFs.sha256Digest();
    try (InputStream in = fs.openFile(p)) {
      byte[] buf = new byte[1 << 17];
      int n;
      while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** Hashes and copies every byte read through it to the cache file; keeps the first bytes. */
  private static final class Tee extends FilterInputStream {
    private final OutputStream copy;
    private final MessageDigest md;
    private final Progress progress;
    private final byte[] head = new byte[Arrival.HEAD];
    private int headLength;
    long count;

    byte[] head() {
      return Arrays.copyOf(head, headLength);
    }

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
        if (headLength < head.length) {
          int k = Math.min(n, head.length - headLength);
          System.arraycopy(b, off, head, headLength, k);
          headLength += k;
        }
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
}
