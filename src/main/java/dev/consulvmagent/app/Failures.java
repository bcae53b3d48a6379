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
        || ex instanceof SidecarWait.TimeoutException
        || ex instanceof Fleet.FleetFailedException;
  }
}
