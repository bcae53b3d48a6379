package dev.consulvmagent.app;

import dev.consulvmagent.consul.AgentApi;
import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.SidecarWait;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.Host;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The questions status and sidecar-wait ask the Consul agent, at the one endpoint the command's
 * flags and Consul's environment variables name ({@link ConsulAccess}).
 */
public final class Mesh {
  private final Host host;
  private final ConsulEndpoint endpoint;

  /** host: the machine status looks at; flags: the command's Consul flags and environment. */
  public Mesh(Host host, ConsulAccess flags) {
    this.host = host;
    this.endpoint = flags.resolve(Optional.empty());
  }

  /** status: Doctor's checks of this VM. */
  public List<Doctor.Check> status(RunOptions o) {
    return new Doctor(host, api(Duration.ofSeconds(3))).run(o);
  }

  /**
   * sidecar-wait: returns once the agent answers, knows a leader and has service and its sidecar;
   * throws SidecarWait.TimeoutException after timeout.
   */
  public void sidecarWait(String service, Duration timeout, EventSink events) {
    new SidecarWait(api(Duration.ofSeconds(5)), events, timeout, Duration.ofSeconds(1))
        .await(service);
  }

  private AgentApi api(Duration timeout) {
    return new AgentApi(new ConsulHttp(endpoint, timeout));
  }
}
