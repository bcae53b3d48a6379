package dev.consulvmagent.consul;

/**
 * A Consul address, token file or TLS setting given by a flag or an environment variable that
 * cannot be used; the message names where it came from ({@code -http-addr}, {@code
 * $CONSUL_HTTP_ADDR}, …). A usage error (exit 2), never an internal one.
 */
public final class InvalidEndpointException extends RuntimeException {
  public InvalidEndpointException(String message) {
    super(message);
  }
}
