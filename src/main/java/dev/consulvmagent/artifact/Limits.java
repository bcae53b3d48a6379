package dev.consulvmagent.artifact;

import java.time.Duration;

/**
 * What one download and its archive may cost at most (issue 13: bombs and endless input). Each
 * bound is checked while reading, before the bytes pile up on disk or in the heap.
 *
 * @param maxDownload bytes of one artifact download (Consul 1.22's zip is ~60 MiB, Envoy's binary
 *     ~100 MiB)
 * @param maxDocument bytes of a checksums list or signature
 * @param downloadDeadline the whole of one artifact download, retries included
 * @param documentDeadline the whole of one checksums list or signature fetch
 * @param maxEntries entries in one archive
 * @param maxEntrySize bytes of the unpacked program
 * @param maxUnpacked bytes decompressed from one archive (a tar.gz is read through)
 * @param maxRatio unpacked bytes per compressed byte, above ratioFloor
 * @param ratioFloor unpacked bytes always allowed whatever the ratio (small test doubles of
 *     repeated text compress 1000:1)
 * @param maxDirectory bytes of a zip's central directory (read into memory when it is opened)
 */
public record Limits(
    long maxDownload,
    long maxDocument,
    Duration downloadDeadline,
    Duration documentDeadline,
    int maxEntries,
    long maxEntrySize,
    long maxUnpacked,
    long maxRatio,
    long ratioFloor,
    long maxDirectory) {
  private static final long MIB = 1L << 20;

  public static final Limits DEFAULT =
      new Limits(
          1024 * MIB,
          4 * MIB,
          Duration.ofMinutes(30),
          Duration.ofMinutes(2),
          10_000,
          1024 * MIB,
          2048 * MIB,
          100,
          64 * MIB,
          16 * MIB);

  /** The most an archive of compressedSize bytes may unpack to. */
  long unpackBudget(long compressedSize, long absoluteMax) {
    long byRatio =
        compressedSize > Long.MAX_VALUE / maxRatio ? Long.MAX_VALUE : compressedSize * maxRatio;
    return Math.min(absoluteMax, Math.max(ratioFloor, byRatio));
  }
}
