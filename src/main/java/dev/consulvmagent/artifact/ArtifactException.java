package dev.consulvmagent.artifact;

/** A download or verification failure. The message names the artifact, the URL and what to do. */
public class ArtifactException extends RuntimeException {
  public ArtifactException(String message) {
    super(message);
  }

  public ArtifactException(String message, Throwable cause) {
    super(message, cause);
  }
}
