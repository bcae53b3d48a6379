package dev.consulvmagent.consul;

/**
 * HTTP 404: what the call names is not there. On a read Consul still sends {@code X-Consul-Index}
 * (a blocking query on a missing KV key answers 404 with an index to block on next), kept in {@link
 * #index()}; 0 when the answer had none.
 */
public final class ConsulNotFoundException extends ConsulException {
  private final long index;

  public ConsulNotFoundException(String path, long index) {
    super(path, path + ": not found (HTTP 404)");
    this.index = index;
  }

  public long index() {
    return index;
  }
}
