package dev.consulvmagent.app;

import dev.consulvmagent.consul.AgentApi;
import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.SidecarWait;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.ConsulConfig;
import dev.consulvmagent.spec.AgentSpec;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The questions status and sidecar-wait ask the Consul agent, at the one endpoint the command's
 * flags and Consul's environment variables name ({@link ConsulAccess}: flags, then
 * CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN(_FILE), …; for status, then the address the agent config
 * implies).
 */
public final class Mesh {
  private final Host host;
  private final ConsulAccess access;

  /** host: the machine status looks at; access: the command's Consul flags and environment. */
  public Mesh(Host host, ConsulAccess access) {
    this.host = host;
    this.access = access;
  }

  /** status: Doctor's checks of this VM; each probe has Doctor.PROBE to answer. */
  public List<Doctor.Check> status(RunOptions o) {
    ConsulEndpoint at = access.resolve(configAddr(o));
    return new Doctor(host, new AgentApi(new ConsulHttp(at, Doctor.PROBE))).run(o);
  }

  /**
   * sidecar-wait: returns once the agent answers, knows a leader and has service and its sidecar;
   * throws SidecarWait.TimeoutException after timeout.
   */
  public void sidecarWait(String service, Duration timeout, EventSink events) {
    ConsulEndpoint at = access.resolve(Optional.empty());
    new SidecarWait(
            new AgentApi(new ConsulHttp(at, Duration.ofSeconds(5))),
            events,
            timeout,
            Duration.ofSeconds(1))
        .await(service);
  }

  /** The agent's HTTP address as apply wrote it into the config; empty if the config is broken. */
  private Optional<String> configAddr(RunOptions o) {
    try {
      AgentSpec spec = new Agent(host, ConsulAccess.NONE, EventSink.NONE).load(o);
      return Optional.of(ConsulConfig.httpAddr(spec.consul(), spec.security()));
    } catch (RuntimeException e) {
      return Optional.empty(); // the doctor's config check says what is wrong with it
    }
  }
}
