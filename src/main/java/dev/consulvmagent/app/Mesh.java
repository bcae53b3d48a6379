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

  static final Duration SIDECAR_POLL = Duration.ofMillis(100);

  /**
   * sidecar-wait: returns once the agent answers, knows a leader and has service and its sidecar;
   * throws SidecarWait.TimeoutException after timeout. Polled, every {@link #SIDECAR_POLL}: what it
   * waits for at boot is the leader, and Consul offers nothing to block on for it ({@code GET
   * /v1/status/leader}: "Blocking Queries: NO", Consul's Status HTTP API reference for 1.8.x; the
   * catalog and health reads that do block are served by the servers, so they need one first),
   * while the registration is loaded from /etc/consul.d before the HTTP API answers. Each poll is
   * one loopback request; at 1 s the sidecar started up to a second after the leader was known.
   */
  public void sidecarWait(String service, Duration timeout, EventSink events) {
    ConsulEndpoint at = access.resolve(Optional.empty());
    new SidecarWait(
            new AgentApi(new ConsulHttp(at, Duration.ofSeconds(5))), events, timeout, SIDECAR_POLL)
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
