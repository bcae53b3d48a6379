package dev.consulvmagent.app;

import dev.consulvmagent.artifact.ArtifactException;
import dev.consulvmagent.consul.ConsulException;
import dev.consulvmagent.consul.InvalidEndpointException;
import dev.consulvmagent.consul.SidecarWait;
import dev.consulvmagent.host.ExecException;
import dev.consulvmagent.sidecar.EnvoyAdmin;
import dev.consulvmagent.sidecar.Redirection;

/** Which errors of the layers below are an operation that failed, not a bug (exit 1, not 4). */
public final class Failures {
  private Failures() {}

  /**
   * A Consul address, token file or TLS setting given by a flag or Consul's environment variables
   * that cannot be used: a usage error (exit 2), its message names the flag or variable.
   */
  public static boolean usage(Exception ex) {
    return ex instanceof InvalidEndpointException;
  }

  /** A download, a command, the Consul agent or a wait that failed; its message says which. */
  public static boolean operational(Exception ex) {
    return ex instanceof ArtifactException
        || ex instanceof ExecException
        || ex instanceof ConsulException
        || ex instanceof SidecarWait.TimeoutException
        || ex instanceof EnvoyAdmin.NotReadyException
        || ex instanceof Redirection.NotRegisteredException
        || ex instanceof Fleet.FleetFailedException;
  }
}
