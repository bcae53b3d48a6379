package dev.consulvmagent.fleet;

/**
 * Consul could not answer (agent down, no leader, a timeout): nothing is known, so nothing may be
 * concluded from it: the watcher keeps its revision and tries again.
 */
public final class FleetUnavailableException extends RuntimeException {
  public FleetUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  public FleetUnavailableException(String message) {
    super(message);
  }
}
