package dev.consulvmagent.app;

import dev.consulvmagent.consul.AgentApi;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.iptables.Iptables;
import dev.consulvmagent.iptables.RedirectConfig;
import dev.consulvmagent.sidecar.EnvoyAdmin;
import dev.consulvmagent.sidecar.Redirection;
import dev.consulvmagent.sidecar.SidecarFiles;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.spec.SpecException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * redirect-traffic on the running system: the redirect configuration from a service config
 * (--service, as envoy@.service runs it) or from Consul's flags, then a dry run's script or the
 * rules applied as one iptables-restore transaction.
 */
public final class RedirectTraffic {
  /** How long --wait-ready waits for Envoy's admin /ready. */
  static final Duration READY_WAIT = Duration.ofSeconds(120);

  /** What a run did. */
  public enum Done {
    /** --service with transparent proxy off: nothing installed. */
    PROXY_OFF,
    /** --dry-run: {@link Result#script} is the ruleset, nothing changed. */
    DRY_RUN,
    /** The rules are in place. */
    APPLIED
  }

  /** The outcome; script is empty unless DRY_RUN. */
  public record Result(Done done, String script) {}

  /** Consul's redirect-traffic flags, already checked by the command. */
  public record Flags(
      int proxyUid,
      Optional<String> proxyId,
      int inboundPort,
      int outboundPort,
      List<Integer> excludeInboundPorts,
      List<Integer> excludeOutboundPorts,
      List<String> excludeOutboundCidrs,
      List<Integer> excludeUids,
      Optional<String> dnsIp,
      int dnsPort) {
    /** The rules' input; RedirectConfig checks every value whole (IllegalArgumentException). */
    RedirectConfig config() {
      return new RedirectConfig(
          proxyUid,
          inboundPort,
          outboundPort,
          excludeInboundPorts,
          excludeOutboundPorts,
          excludeOutboundCidrs,
          excludeUids,
          dnsIp,
          dnsPort);
    }

    /** Checks every value as the rules will take it; IllegalArgumentException names the bad one. */
    public Flags checked() {
      config();
      return this;
    }
  }

  /**
   * How to run: the Consul flags and environment (the agent for -proxy-id and --service), whether
   * to add the default exclusions, whether --service also redirects DNS, dry run, and Envoy's admin
   * address to wait for first (empty: do not wait).
   */
  public record Options(
      ConsulAccess consul,
      boolean defaults,
      boolean dnsRedirect,
      boolean dryRun,
      Optional<String> waitReadyAt) {}

  private final Host host;
  private final EventSink events;
  private final Options o;
  private final AgentApi api;

  /** host: the running system (its iptables, its service config, its users). */
  public RedirectTraffic(Host host, Options o, EventSink events) {
    this.host = host;
    this.o = o;
    this.events = events;
    this.api =
        new AgentApi(new ConsulHttp(o.consul().resolve(Optional.empty()), Duration.ofSeconds(5)));
  }

  /** --service NAME: everything from the service config, which must describe NAME. */
  public Result forService(String service) {
    ServiceConfig sc =
        SidecarFiles.readServiceConfig(host.fs().resolve(SidecarFiles.SERVICE_CONFIG));
    if (!sc.mesh().name().equals(service)) {
      throw new SpecException(
          "--service",
          "the service config describes '" + sc.mesh().name() + "', not '" + service + "'");
    }
    if (!sc.mesh().transparentProxy()) return new Result(Done.PROXY_OFF, "");
    return run(Redirection.forService(host, sc.mesh(), api, o.defaults(), o.dnsRedirect()));
  }

  /** Consul's flags; with -proxy-id the ports come from the proxy's registration. */
  public Result fromFlags(Flags f) {
    RedirectConfig flags = f.config();
    RedirectConfig cfg = f.proxyId().map(id -> Redirection.derived(api, id, flags)).orElse(flags);
    if (o.defaults()) cfg = Redirection.withDefaults(host, cfg);
    return run(cfg);
  }

  private Result run(RedirectConfig cfg) {
    if (o.dryRun()) return new Result(Done.DRY_RUN, Redirection.dryRun(cfg, host));
    o.waitReadyAt()
        .ifPresent(
            bind -> new EnvoyAdmin(bind, Duration.ofSeconds(2)).awaitReady(READY_WAIT, events));
    new Iptables(host).apply(cfg);
    return new Result(Done.APPLIED, "");
  }
}
