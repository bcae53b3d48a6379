package dev.consulvmagent.app;

import dev.consulvmagent.consul.ConsulApi;
import dev.consulvmagent.consul.SidecarWait;
import dev.consulvmagent.engine.EventSink;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The questions status and sidecar-wait ask the local Consul agent at httpAddr, with the token from
 * $CONSUL_HTTP_TOKEN (as the consul CLI takes it).
 */
public final class Mesh {
  private Mesh() {}

  /** status: Doctor's checks of this VM. */
  public static List<Doctor.Check> status(String httpAddr, RunOptions o) {
    return new Doctor(api(httpAddr, Duration.ofSeconds(3))).run(o);
  }

  /**
   * sidecar-wait: returns once the agent answers, knows a leader and has service and its sidecar;
   * throws SidecarWait.TimeoutException after timeout.
   */
  public static void sidecarWait(
      String service, String httpAddr, Duration timeout, EventSink events) {
    new SidecarWait(api(httpAddr, Duration.ofSeconds(5)), events, timeout, Duration.ofSeconds(1))
        .await(service);
  }

  private static ConsulApi api(String httpAddr, Duration timeout) {
    return new ConsulApi(httpAddr, envToken(httpAddr), timeout);
  }

  /**
   * $CONSUL_HTTP_TOKEN, else the file $CONSUL_HTTP_TOKEN_FILE names (as the consul CLI reads them,
   * consul.ConsulEndpoint): a secure mesh's envoy@.service gives the service token as the file.
   */
  static Optional<String> envToken(String httpAddr) {
    return dev.consulvmagent.consul.ConsulEndpoint.resolve(
            dev.consulvmagent.consul.EndpointInput.fromEnv(System.getenv(), Optional.of(httpAddr)))
        .token()
        .map(dev.consulvmagent.spec.Secret::value);
  }
}
