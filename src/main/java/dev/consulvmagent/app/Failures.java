package dev.consulvmagent.app;

import dev.consulvmagent.artifact.ArtifactException;
import dev.consulvmagent.consul.ConsulApi;
import dev.consulvmagent.consul.SidecarWait;
import dev.consulvmagent.host.ExecException;

/** Which errors of the layers below are an operation that failed, not a bug (exit 1, not 4). */
public final class Failures {
  private Failures() {}

  /** A download, a command, the Consul agent or a wait that failed; its message says which. */
  public static boolean operational(Exception ex) {
    return ex instanceof ArtifactException
        || ex instanceof ExecException
        || ex instanceof ConsulApi.ConsulUnreachableException
        || ex instanceof dev.consulvmagent.consul.ConsulException
        || ex instanceof SidecarWait.TimeoutException
        || ex instanceof Fleet.FleetFailedException;
  }

  /**
   * A flag or environment variable that cannot be what it names (CONSUL_HTTP_ADDR=ftp://…, a client
   * cert without its key, an unreadable token file): a usage error (exit 2), never a bug.
   */
  public static boolean usage(Exception ex) {
    return ex instanceof dev.consulvmagent.consul.InvalidEndpointException;
  }
}
