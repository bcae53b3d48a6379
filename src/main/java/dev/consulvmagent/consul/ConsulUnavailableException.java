package dev.consulvmagent.consul;

/**
 * The agent could not be reached (refused, timed out, closed), or it answered that the cluster
 * cannot serve the call now: HTTP 500 "No cluster leader" during an election, "No known Consul
 * servers" on a client that has joined none (both seen from the real 1.8.7, see
 * src/test/resources/recorded/consul-1.8.7/). Retry later; never a reason to change state.
 */
public final class ConsulUnavailableException extends ConsulException {
  public ConsulUnavailableException(String path, String message) {
    super(path, message);
  }
}
