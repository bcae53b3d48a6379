package dev.consulvmagent.sidecar;

import dev.consulvmagent.consul.AgentApi;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.iptables.DefaultExclusions;
import dev.consulvmagent.iptables.Iptables;
import dev.consulvmagent.iptables.RedirectConfig;
import dev.consulvmagent.iptables.RestoreScript;
import dev.consulvmagent.spec.MeshService;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The transparent-proxy redirect of a sidecar: Consul's derivation from the proxy's registration
 * (what {@code redirect-traffic -proxy-id} reads, in Consul's order), then the service config's or
 * the flags' exclusions, then our default exclusions.
 */
public final class Redirection {
  private Redirection() {}

  /**
   * The redirect configuration for a service's sidecar, as envoy@.service applies it. defaults: add
   * the SSH ports and the consul uid; dnsRedirect: apply chose the DNS redirect ({@link
   * Installed#dnsRedirect}).
   */
  public static RedirectConfig forService(
      Host host, MeshService m, AgentApi api, boolean defaults, boolean dnsRedirect) {
    int proxyUid =
        host.users()
            .uid("envoy")
            .orElseThrow(() -> new IllegalStateException("user envoy does not exist"));
    ProxyDerivation.Derived d = fetch(api, m.sidecarId());
    List<Integer> extra = new ArrayList<>();
    m.metricsPort().filter(p -> !d.excludeInbound().contains(p)).ifPresent(extra::add);
    extra.addAll(m.excludeInboundPorts());
    boolean dns = m.consulDns() || dnsRedirect;
    RedirectConfig flags =
        new RedirectConfig(
            proxyUid,
            0,
            15001,
            extra,
            m.excludeOutboundPorts(),
            m.excludeOutboundCidrs(),
            m.excludeUids(),
            dns ? Optional.of("127.0.0.1") : Optional.empty(),
            dns ? 8600 : 0);
    RedirectConfig c = merge(d, flags);
    return defaults ? withDefaults(host, c) : c;
  }

  /** Adds the SSH ports (inbound) and the consul uid (outbound). */
  public static RedirectConfig withDefaults(Host host, RedirectConfig c) {
    return DefaultExclusions.add(
        c, DefaultExclusions.sshPorts(host), host.users().uid("consul").orElse(null));
  }

  /**
   * redirect-traffic -proxy-id: ports from the registration, exclusions derived first, then the
   * flags'.
   */
  public static RedirectConfig derived(AgentApi api, String proxyId, RedirectConfig flags) {
    return merge(fetch(api, proxyId), flags);
  }

  /** The iptables-restore script that would install c over the host's nat table now. */
  public static String dryRun(RedirectConfig c, Host host) {
    String save;
    try {
      save = new Iptables(host).saveNat();
    } catch (RuntimeException e) {
      save = ""; // no iptables (a build machine): the script against an empty table
    }
    return RestoreScript.apply(c, save);
  }

  /** What `-proxy-id` reads from the proxy's registration (Consul's order). */
  private static ProxyDerivation.Derived fetch(AgentApi api, String proxyId) {
    AgentApi.Service svc =
        api.service(proxyId)
            .orElseThrow(
                () ->
                    new NotRegisteredException(
                        "proxy "
                            + proxyId
                            + " is not registered with the Consul agent at "
                            + api.endpoint().display()));
    boolean exposeChecks = svc.proxy().map(AgentApi.Proxy::exposeChecks).orElse(false);
    return ProxyDerivation.derive(proxyId, svc, exposeChecks ? api.checks() : null);
  }

  /** The proxy asked for is not registered with the agent (yet): an operational failure. */
  public static final class NotRegisteredException extends RuntimeException {
    public NotRegisteredException(String m) {
      super(m);
    }
  }

  private static RedirectConfig merge(ProxyDerivation.Derived d, RedirectConfig flags) {
    List<Integer> in = new ArrayList<>(d.excludeInbound());
    in.addAll(flags.excludeInboundPorts());
    return new RedirectConfig(
        flags.proxyUid(),
        d.inboundPort(),
        d.outboundPort(),
        in,
        flags.excludeOutboundPorts(),
        flags.excludeOutboundCidrs(),
        flags.excludeUids(),
        flags.dnsIp(),
        flags.dnsPort());
  }
}
