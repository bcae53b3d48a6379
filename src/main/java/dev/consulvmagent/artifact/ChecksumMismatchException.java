package dev.consulvmagent.artifact;

/** The bytes downloaded do not have the expected sha256. Never retried. */
public final class ChecksumMismatchException extends ArtifactException {
  public ChecksumMismatchException(String artifact, String url, String expected, String actual) {
    this(artifact, url, expected, actual, null);
  }

  /** arrived: what the server sent, e.g. "an HTML page (text/html, 1234 bytes) …". */
  public ChecksumMismatchException(
      String artifact, String url, String expected, String actual, String arrived) {
    super(
        artifact
            + ": sha256 of "
            + url
            + " is "
            + actual
            + ", expected "
            + expected
            + (arrived == null ? "" : " (" + arrived + ")")
            + "; the file is corrupt or was tampered with. Nothing was installed. Check the mirror"
            + " or the pinned sha256.");
  }
}
