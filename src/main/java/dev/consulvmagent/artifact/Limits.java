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
 * @param speedLimit bytes per second a download must average over speedTime, like curl's
 *     --speed-limit: a mirror that trickles (a byte now and then, never a stall) is given up on
 *     after speedTime instead of holding the run lock until the overall deadline
 * @param speedTime how long a download may stay below speedLimit (curl's --speed-time)
 * @param minFreeSpace bytes that must stay free on the cache's file system while a download is
 *     written: a download whose declared length would leave less is refused before writing, and one
 *     without a length stops when the free space drops to this
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
    long maxDirectory,
    long speedLimit,
    Duration speedTime,
    long minFreeSpace) {
  private static final long MIB = 1L << 20;

  /** The default low-speed limit: 10 KiB/s averaged over a minute (curl has none by default). */
  public static final long SPEED_LIMIT = 10 * 1024;

  public static final Duration SPEED_TIME = Duration.ofSeconds(60);

  /** Bounds with the default low-speed limit and free-space floor. */
  public Limits(
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
    this(
        maxDownload,
        maxDocument,
        downloadDeadline,
        documentDeadline,
        maxEntries,
        maxEntrySize,
        maxUnpacked,
        maxRatio,
        ratioFloor,
        maxDirectory,
        SPEED_LIMIT,
        SPEED_TIME,
        64 * MIB);
  }

  /** These bounds with another maximum for a checksums list or signature. */
  public Limits withMaxDocument(long bytes) {
    return new Limits(
        maxDownload,
        bytes,
        downloadDeadline,
        documentDeadline,
        maxEntries,
        maxEntrySize,
        maxUnpacked,
        maxRatio,
        ratioFloor,
        maxDirectory,
        speedLimit,
        speedTime,
        minFreeSpace);
  }

  /** These bounds with another low-speed limit (0 bytes/s: none). */
  public Limits withSpeedLimit(long bytesPerSecond, Duration time) {
    return new Limits(
        maxDownload,
        maxDocument,
        downloadDeadline,
        documentDeadline,
        maxEntries,
        maxEntrySize,
        maxUnpacked,
        maxRatio,
        ratioFloor,
        maxDirectory,
        bytesPerSecond,
        time,
        minFreeSpace);
  }

  /** These bounds with another free-space floor. */
  public Limits withMinFreeSpace(long bytes) {
    return new Limits(
        maxDownload,
        maxDocument,
        downloadDeadline,
        documentDeadline,
        maxEntries,
        maxEntrySize,
        maxUnpacked,
        maxRatio,
        ratioFloor,
        maxDirectory,
        speedLimit,
        speedTime,
        bytes);
  }

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
