package dev.consulvmagent.consul;

/**
 * HTTP 403: the token (or the anonymous token) lacks the permission. {@link #requiredAcl()} names
 * what the call needs, as the typed API's Javadoc says, e.g. {@code key:read on "x"}.
 */
public final class ConsulPermissionDeniedException extends ConsulException {
  private final String requiredAcl;

  private final String reason;

  /** reason: Consul's own words, e.g. "Permission denied" or "ACL not found" (unknown token). */
  public ConsulPermissionDeniedException(String path, String requiredAcl, String reason) {
    super(
        path,
        path
            + ": "
            + (reason.isEmpty() ? "permission denied" : reason)
            + " (HTTP 403); the call needs a token with "
            + requiredAcl
            + " (-token-file or $CONSUL_HTTP_TOKEN_FILE)");
    this.requiredAcl = requiredAcl;
    this.reason = reason;
  }

  /** Consul 1.8 answers "ACL not found" when the token itself does not exist (deleted). */
  public boolean tokenUnknown() {
    return reason.contains("ACL not found");
  }

  public String reason() {
    return reason;
  }

  public String requiredAcl() {
    return requiredAcl;
  }
}
