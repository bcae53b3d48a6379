package dev.consulvmagent.artifact;

import java.util.Optional;

/**
 * One thing to download and install: where from ({@code url}, possibly a mirror), what it is
 * ({@code canonicalUrl}, the upstream address, which identifies it whatever the mirror), how it is
 * verified, how it is packed, and where the binary goes.
 */
public record Artifact(
    String name,
    String url,
    String canonicalUrl,
    Verification verification,
    Packing packing,
    Optional<String> entry,
    String destination,
    int mode) {
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
