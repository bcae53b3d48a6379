package dev.consulvmagent.artifact;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/** Establishes the expected sha256 of an artifact: pinned, or from a (signed) checksums list. */
public final class ChecksumResolver {
  private final Downloader downloader;
  private final java.util.function.Supplier<Map<String, PgpVerifier>> trust;

  /** trust maps a key resource name to its verifier; production uses {@link #pinnedKeys()}. */
  public ChecksumResolver(Downloader downloader, Map<String, PgpVerifier> trust) {
    this(downloader, () -> trust);
  }

  /** Keys parsed only when a signature is first checked: a no-op run never pays for it. */
  public ChecksumResolver(Downloader downloader, java.util.function.Supplier<Map<String, PgpVerifier>> trust) {
    this.downloader = downloader;
    this.trust = trust;
  }

  public static Map<String, PgpVerifier> pinnedKeys() {
    return Map.of(
        Artifacts.HASHICORP_KEY, PgpVerifier.fromResource(Artifacts.HASHICORP_KEY),
        Artifacts.ENVOY_KEY, PgpVerifier.fromResource(Artifacts.ENVOY_KEY));
  }

  public String expectedSha256(Artifact a) {
    if (a.verification() instanceof Verification.Pinned p) return p.sha256();
    Verification.ChecksumsFile c = (Verification.ChecksumsFile) a.verification();
    String what = a.name() + " checksums";
    byte[] list = downloader.fetchSmall(what, c.url())
        .orElseThrow(() -> new ArtifactException(what + ": " + c.url() + " not found (404); check the version and the mirror"));
    String text;
    if (c.signature() instanceof Verification.Detached d) {
      byte[] sig = downloader.fetchSmall(what + " signature", d.sigUrl())
          .or(() -> d.fallbackSigUrl() == null ? Optional.empty() : downloader.fetchSmall(what + " signature", d.fallbackSigUrl()))
          .orElseThrow(() -> new SignatureException(what + ": no signature at " + d.sigUrl()
              + "; a mirror must carry the .sig files too (or pin the sha256, or set downloads.verify_signatures: false)"));
      verifier(d.keyResource()).verifyDetached(list, sig, what + " " + c.url());
      text = new String(list, StandardCharsets.UTF_8);
    } else if (c.signature() instanceof Verification.Clearsigned cs) {
      text = verifier(cs.keyResource()).verifyClearsigned(list, what + " " + c.url());
    } else {
      text = new String(list, StandardCharsets.UTF_8);
    }
    return find(text, c.fileName())
        .orElseThrow(() -> new ArtifactException(what + ": " + c.url() + " has no line for " + c.fileName()
            + "; check the version and architecture"));
  }

  private PgpVerifier verifier(String key) {
    PgpVerifier v = trust.get().get(key);
    if (v == null) throw new IllegalStateException("no pinned key " + key);
    return v;
  }

  /** Finds the digest for exactly fileName in sha256sum output ("hex  name" or "hex *name"). */
  static Optional<String> find(String sums, String fileName) {
    for (String line : sums.split("\r?\n")) {
      String[] f = line.trim().split("\\s+", 2);
      if (f.length == 2 && f[0].matches("[0-9a-fA-F]{64}")) {
        String name = f[1].startsWith("*") ? f[1].substring(1) : f[1];
        if (name.startsWith("./")) name = name.substring(2);
        if (name.equals(fileName)) return Optional.of(f[0].toLowerCase());
      }
    }
    return Optional.empty();
  }
}
