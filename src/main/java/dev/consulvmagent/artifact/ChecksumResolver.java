package dev.consulvmagent.artifact;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** Establishes the expected sha256 of an artifact: pinned, or from a (signed) checksums list. */
public final class ChecksumResolver {
  private final Downloader downloader;
  private final Supplier<Map<String, PgpVerifier>> trust;

  /** trust maps a key resource name to its verifier; production uses {@link #pinnedKeys()}. */
  public ChecksumResolver(Downloader downloader, Map<String, PgpVerifier> trust) {
    this(downloader, () -> trust);
  }

  /** Keys parsed only when a signature is first checked: a no-op run never pays for it. */
  public ChecksumResolver(Downloader downloader, Supplier<Map<String, PgpVerifier>> trust) {
    this.downloader = downloader;
    this.trust = trust;
  }

  public static Map<String, PgpVerifier> pinnedKeys() {
    return Map.of(
        Artifacts.HASHICORP_KEY, PgpVerifier.fromResource(Artifacts.HASHICORP_KEY),
        Artifacts.ENVOY_KEY, PgpVerifier.fromResource(Artifacts.ENVOY_KEY));
  }

  /** The expected digest; empty only for an artifact the config explicitly left unverified. */
  public Optional<String> expected(Artifact a) {
    if (a.verification() instanceof Verification.Unverified) return Optional.empty();
    return Optional.of(expectedSha256(a));
  }

  public String expectedSha256(Artifact a) {
    if (a.verification() instanceof Verification.Pinned p) return p.sha256();
    if (a.verification() instanceof Verification.Unverified u) {
      throw new IllegalStateException(a.name() + " has no digest: " + u.reason());
    }
    Verification.ChecksumsFile c = (Verification.ChecksumsFile) a.verification();
    String what = a.name() + " checksums";
    String listUrl = c.url();
    Optional<byte[]> got = downloader.fetchSmall(what, listUrl);
    boolean plainFallback = false;
    if (got.isEmpty()
        && c.signature() instanceof Verification.ClearsignedBodyOnly b
        && b.fallbackPlainUrl() != null) {
      listUrl = b.fallbackPlainUrl();
      got = downloader.fetchSmall(what, listUrl);
      plainFallback = true;
    }
    String url = listUrl;
    byte[] list =
        got.orElseThrow(
            () ->
                new ArtifactException(
                    what + ": " + url + " not found (404); check the version and the mirror"));
    String text;
    if (c.signature() instanceof Verification.ClearsignedBodyOnly) {
      text =
          plainFallback
              ? new String(list, StandardCharsets.UTF_8)
              : PgpVerifier.clearsignedBody(list, what + " " + url);
    } else if (c.signature() instanceof Verification.Detached d) {
      byte[] sig =
          downloader
              .fetchSmall(what + " signature", d.sigUrl())
              .or(
                  () ->
                      d.fallbackSigUrl() == null
                          ? Optional.empty()
                          : downloader.fetchSmall(what + " signature", d.fallbackSigUrl()))
              .orElseThrow(
                  () ->
                      new SignatureException(
                          what
                              + ": no signature at "
                              + d.sigUrl()
                              + "; a mirror must carry the .sig files too (or pin the sha256, or"
                              + " set downloads.verify_signatures: false)"));
      verifier(d.keyResource()).verifyDetached(list, sig, what + " " + c.url());
      text = new String(list, StandardCharsets.UTF_8);
    } else if (c.signature() instanceof Verification.Clearsigned cs) {
      text = verifier(cs.keyResource()).verifyClearsigned(list, what + " " + c.url());
    } else {
      text = new String(list, StandardCharsets.UTF_8);
    }
    return find(text, c.fileName())
        .orElseThrow(
            () ->
                new ArtifactException(
                    what
                        + ": "
                        + url
                        + " has no line for "
                        + c.fileName()
                        + "; check the version and architecture"));
  }

  private PgpVerifier verifier(String key) {
    PgpVerifier v = trust.get().get(key);
    if (v == null) throw new IllegalStateException("no pinned key " + key);
    return v;
  }

  /**
   * Finds the digest for fileName in sha256sum output ("hex name" or "hex *name"), matching the
   * listed name's base name: hashicorp/demo-consul-101's services/build_all runs `shasum
   * --algorithm 256 zips/${FILE}.zip >> zips/SHA256SUMS.txt`, so its lines name "zips/x.zip";
   * "./x.zip" and "*x.zip" (binary mode) name x.zip too. Two different digests for one base name
   * are refused: which file the list means is then unknown.
   */
  static Optional<String> find(String sums, String fileName) {
    String found = null;
    for (String line : sums.split("\r?\n")) {
      String[] f = line.trim().split("\\s+", 2);
      if (f.length == 2 && f[0].matches("[0-9a-fA-F]{64}")) {
        String name = f[1].startsWith("*") ? f[1].substring(1) : f[1];
        name = name.substring(name.lastIndexOf('/') + 1);
        if (!name.equals(fileName)) continue;
        String digest = f[0].toLowerCase(Locale.ROOT);
        if (found != null && !found.equals(digest)) {
          throw new ArtifactException(
              "the checksums list names "
                  + fileName
                  + " twice with different digests; refusing to guess which is meant");
        }
        found = digest;
      }
    }
    return Optional.ofNullable(found);
  }
}
