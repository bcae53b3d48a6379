package dev.consulvmagent.spec;

import java.util.Optional;

/**
 * Where artifacts come from, how strictly they are verified, and how much of the network and disk
 * one download may take: a maximum size per artifact kind (MiB) and a low-speed limit like curl's
 * --speed-limit (bytes/s) and --speed-time (seconds); speedLimit 0 turns it off.
 */
public record DownloadsSpec(
    Optional<String> mirror,
    Optional<String> arch,
    boolean verifySignatures,
    MaxSizes maxSizeMib,
    long speedLimit,
    long speedTimeSeconds) {
  /** The default low-speed limit: 10 KiB/s for 60 s. */
  public static final long SPEED_LIMIT = 10 * 1024;

  public static final long SPEED_TIME = 60;

  public DownloadsSpec(Optional<String> mirror, Optional<String> arch, boolean verifySignatures) {
    this(mirror, arch, verifySignatures, MaxSizes.DEFAULT, SPEED_LIMIT, SPEED_TIME);
  }

  /**
   * Most MiB one download of each kind may be: Consul's zip (~60 MiB for 1.22), Envoy's binary
   * (~100-150 MiB), the app, and a checksums list or signature (a few KiB).
   */
  public record MaxSizes(long consul, long envoy, long app, long checksums) {
    public static final MaxSizes DEFAULT = new MaxSizes(256, 512, 1024, 4);
  }
}
