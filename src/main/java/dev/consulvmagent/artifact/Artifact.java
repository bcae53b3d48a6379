package dev.consulvmagent.artifact;

import java.util.Optional;

/**
 * One thing to download and install: where from ({@code url}, possibly a mirror), what it is
 * ({@code canonicalUrl}, the upstream address, which identifies it whatever the mirror), how it is
 * verified, how it is packed, and where the binary goes. {@code maxSize} bounds the download in
 * bytes (0: {@link Limits#maxDownload()}): each kind has its own (downloads.max_size_mib).
 */
public record Artifact(
    String name,
    String url,
    String canonicalUrl,
    Verification verification,
    Packing packing,
    Optional<String> entry,
    String destination,
    int mode,
    long maxSize) {
  public Artifact(
      String name,
      String url,
      String canonicalUrl,
      Verification verification,
      Packing packing,
      Optional<String> entry,
      String destination,
      int mode) {
    this(name, url, canonicalUrl, verification, packing, entry, destination, mode, 0);
  }

  /** The most this download may be: its own bound, or limits' general one. */
  public long maxBytes(Limits limits) {
    return maxSize > 0 ? maxSize : limits.maxDownload();
  }

  public enum Packing {
    ZIP,
    TAR_GZ,
    RAW
  }

  public static Packing packingOf(String url) {
    String u = url.toLowerCase();
    if (u.endsWith(".zip")) return Packing.ZIP;
    if (u.endsWith(".tar.gz") || u.endsWith(".tgz")) return Packing.TAR_GZ;
    return Packing.RAW;
  }

  public String fileName() {
    return url.substring(url.lastIndexOf('/') + 1);
  }
}
