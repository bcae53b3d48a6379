package dev.consulvmagent.artifact;

/** How an artifact's expected sha256 is established. */
public sealed interface Verification {
  /** A digest pinned in the config. */
  record Pinned(String sha256) implements Verification {}

  /** A sha256sum-format list, optionally signed (detached .sig or a clearsigned .asc). */
  record ChecksumsFile(String url, String fileName, Signature signature) implements Verification {}

  sealed interface Signature {}

  record Detached(String sigUrl, String fallbackSigUrl, String keyResource) implements Signature {}

  /** The checksums URL itself is the clearsigned document. */
  record Clearsigned(String keyResource) implements Signature {}

  record Unsigned() implements Signature {}

  default String describe() {
    if (this instanceof Pinned p) return "pinned sha256 " + p.sha256().substring(0, 12);
    ChecksumsFile c = (ChecksumsFile) this;
    if (c.signature() instanceof Unsigned) return "unsigned checksums file";
    return "signed checksums file";
  }
}
