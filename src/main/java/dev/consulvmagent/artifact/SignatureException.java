package dev.consulvmagent.artifact;

/** A checksums file whose OpenPGP signature does not verify against the pinned key. */
public final class SignatureException extends ArtifactException {
  public SignatureException(String message) {
    super(message);
  }
}
