package dev.consulvmagent.bench;

import dev.consulvmagent.artifact.Artifact;
import dev.consulvmagent.artifact.ChecksumResolver;
import dev.consulvmagent.artifact.Downloader;
import dev.consulvmagent.artifact.Installer;
import dev.consulvmagent.artifact.Verification;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.HostFs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmark (not a test; run by scripts/bench) of the install hot path: one pass over a 32 MiB
 * zip that hashes it, writes it to the cache, unpacks the binary and hashes that — against the
 * machine's limit for the same bytes (SHA-256 alone, and reading the file alone). Artifacts come
 * from a directory (file: URL) so the network is not what is measured.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-XX:+UseSerialGC", "-Xmx96m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class InstallBench {
  static final int SIZE = 32 << 20;
  Path dir;
  Path zip;
  byte[] payload;
  HostFs fs;
  Installer installer;
  Artifact artifact;

  @Setup
  public void setup() throws Exception {
    dir = Files.createTempDirectory("cva-installbench");
    payload = new byte[SIZE];
    new Random(1).nextBytes(payload);
    zip = dir.resolve("consul.zip");
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
      z.putNextEntry(new ZipEntry("consul"));
      z.write(payload);
    }
    fs = new HostFs(dir.resolve("root"), false);
    Downloader d =
        new Downloader(Duration.ofSeconds(5), Duration.ofSeconds(30), 1, Duration.ofMillis(1));
    installer = new Installer(d, new ChecksumResolver(d, Map.of()), EventSink.NONE);
    artifact =
        new Artifact(
            "consul",
            zip.toUri().toString(),
            zip.toUri().toString(),
            new Verification.Pinned(sha256(zip)),
            Artifact.Packing.ZIP,
            Optional.of("consul"),
            "/usr/bin/consul",
            0755);
  }

  static String sha256(Path p) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(p)) {
      byte[] buf = new byte[1 << 17];
      int n;
      while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  @TearDown
  public void tearDown() throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Download (from the directory), hash, cache, unpack, hash the binary: what apply does. */
  @Benchmark
  public Object installZip() throws IOException {
    Installer.Prepared p = installer.prepare(artifact, fs, "/var/cache");
    Files.delete(p.temp());
    Files.delete(fs.resolve("/var/cache/" + p.archiveSha256())); // next round downloads again
    return p;
  }

  /** The hashing limit: SHA-256 of the same number of bytes, twice (archive and binary). */
  @Benchmark
  public byte[] sha256Twice() throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    md.update(payload);
    md.digest();
    md.update(payload);
    return md.digest();
  }

  /** The I/O floor: reading the zip and writing it twice (cache and binary), nothing else. */
  @Benchmark
  public long copyTwice() throws IOException {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    long n = 0;
    try (InputStream in = Files.newInputStream(zip);
        OutputStream x = Files.newOutputStream(a);
        OutputStream y = Files.newOutputStream(b)) {
      byte[] buf = new byte[1 << 17];
      int k;
      while ((k = in.read(buf)) > 0) {
        x.write(buf, 0, k);
        y.write(buf, 0, k);
        n += k;
      }
    }
    Files.delete(a);
    Files.delete(b);
    return n;
  }
}
