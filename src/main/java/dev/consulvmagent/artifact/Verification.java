package dev.consulvmagent.artifact;

/** How an artifact's expected sha256 is established. */
public sealed interface Verification {
  /** A digest pinned in the config. */
  record Pinned(String sha256) implements Verification {}

  /**
   * No digest at all, because the config says so explicitly (reason: the setting, e.g.
   * "app.insecure_skip_checksum: true"); plan, apply and status warn about it every time.
   */
  record Unverified(String reason) implements Verification {}

  /** A sha256sum-format list, optionally signed (detached .sig or a clearsigned .asc). */
  record ChecksumsFile(String url, String fileName, Signature signature) implements Verification {}

  sealed interface Signature {}

  record Detached(String sigUrl, String fallbackSigUrl, String keyResource) implements Signature {}

  /** The checksums URL itself is the clearsigned document. */
  record Clearsigned(String keyResource) implements Signature {}

  record Unsigned() implements Signature {}

  /**
   * verify_signatures: false for Envoy: the URL is the clearsigned checksums.txt.asc, whose body is
   * read without checking the signature (Envoy no longer publishes an unsigned checksums.txt); a
   * mirror that only has the plain list at fallbackPlainUrl is read instead.
   */
  record ClearsignedBodyOnly(String fallbackPlainUrl) implements Signature {}

  default String describe() {
    if (this instanceof Pinned p) return "pinned sha256 " + p.sha256().substring(0, 12);
    if (this instanceof Unverified u) return "NOT VERIFIED (" + u.reason() + ")";
    ChecksumsFile c = (ChecksumsFile) this;
    if (c.signature() instanceof Unsigned || c.signature() instanceof ClearsignedBodyOnly) {
      return "unsigned checksums file";
    }
    return "signed checksums file";
  }
}
