package dev.consulvmagent.app;

import dev.consulvmagent.consul.ConsulApi;
import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.EndpointInput;
import dev.consulvmagent.consul.SidecarWait;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.render.ConsulConfig;
import dev.consulvmagent.spec.Secret;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The questions status and sidecar-wait ask the local Consul agent, found as Consul's CLI finds it
 * (ConsulEndpoint.resolve: flags, then CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN(_FILE), …; for status,
 * then the address the agent config implies).
 */
public final class Mesh {
  private Mesh() {}

  /** status: Doctor's checks of this VM. */
  public static List<Doctor.Check> status(ConsulFlags flags, RunOptions o) {
    return status(flags, o, System.getenv());
  }

  static List<Doctor.Check> status(ConsulFlags flags, RunOptions o, Map<String, String> env) {
    ConsulEndpoint at = ConsulEndpoint.resolve(flags.input(env, configAddr(o)));
    return new Doctor(api(at, Doctor.PROBE)).run(o);
  }

  /**
   * sidecar-wait: returns once the agent answers, knows a leader and has service and its sidecar;
   * throws SidecarWait.TimeoutException after timeout.
   */
  public static void sidecarWait(
      String service, ConsulFlags flags, Duration timeout, EventSink events) {
    ConsulEndpoint at = ConsulEndpoint.resolve(flags.input(System.getenv(), Optional.empty()));
    new SidecarWait(api(at, Duration.ofSeconds(5)), events, timeout, Duration.ofSeconds(1))
        .await(service);
  }

  /** The agent's HTTP address as apply wrote it into the config; empty if the config is broken. */
  private static Optional<String> configAddr(RunOptions o) {
    try {
      return Optional.of(ConsulConfig.httpAddr(new Agent(EventSink.NONE).load(o).consul()));
    } catch (RuntimeException e) {
      return Optional.empty(); // the doctor's config check says what is wrong with it
    }
  }

  private static ConsulApi api(ConsulEndpoint at, Duration timeout) {
    return new ConsulApi(at.baseUrl(), at.token().map(Secret::value), timeout);
  }

  /**
   * $CONSUL_HTTP_TOKEN, else the file $CONSUL_HTTP_TOKEN_FILE names (as the consul CLI reads them,
   * consul.ConsulEndpoint): a secure mesh's envoy@.service gives the service token as the file.
   */
  static Optional<String> envToken(String httpAddr) {
    return ConsulEndpoint.resolve(EndpointInput.fromEnv(System.getenv(), Optional.of(httpAddr)))
        .token()
        .map(Secret::value);
  }
}
