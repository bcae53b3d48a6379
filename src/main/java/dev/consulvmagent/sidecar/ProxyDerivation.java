package dev.consulvmagent.sidecar;

import dev.consulvmagent.consul.AgentApi;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What `redirect-traffic -proxy-id` reads from the proxy's registration, in Consul's order
 * (reference/consul-tproxy.md §2.3): inbound port, outbound port, derived inbound exclusions.
 */
public final class ProxyDerivation {
  public record Derived(int inboundPort, int outboundPort, List<Integer> excludeInbound) {}

  private ProxyDerivation() {}

  /** checks: the agent's checks, read only when the proxy exposes them (else null). */
  public static Derived derive(
      String proxyId, AgentApi.Service svc, Map<String, AgentApi.Check> checks) {
    AgentApi.Proxy proxy =
        svc.proxy()
            .orElseThrow(
                () ->
                    new IllegalArgumentException("service " + proxyId + " is not a proxy service"));
    Map<String, Object> cfg = proxy.config();
    int inbound = svc.port();
    Object bind = cfg.get("bind_port");
    if (bind != null) {
      int b;
      if (bind instanceof Number n) b = n.intValue();
      else {
        try {
          b = Integer.parseInt(String.valueOf(bind));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "failed parsing Proxy.Config: bind_port " + bind + " is not a number");
        }
      }
      if (b != 0) inbound = b;
    }
    int outbound = 15001;
    if (proxy.outboundListenerPort() != 0) outbound = proxy.outboundListenerPort();
    List<Integer> ex = new ArrayList<>();
    for (String key : List.of("envoy_prometheus_bind_addr", "envoy_stats_bind_addr")) {
      Object v = cfg.get(key);
      if (v != null && !String.valueOf(v).isEmpty()) {
        String a = String.valueOf(v);
        int colon = a.lastIndexOf(':');
        if (colon < 0)
          throw new IllegalArgumentException(
              "failed parsing host and port from "
                  + key
                  + ": address "
                  + a
                  + ": missing port in address");
        ex.add(Integer.parseInt(a.substring(colon + 1)));
      }
    }
    ex.addAll(proxy.exposePathPorts());
    if (proxy.exposeChecks() && checks != null) {
      String dest = proxy.destinationServiceId();
      for (AgentApi.Check c : checks.values()) {
        if (dest.equals(c.serviceId()) && c.exposedPort() != 0) ex.add(c.exposedPort());
      }
    }
    if (inbound == 0) throw new IllegalArgumentException("proxy " + proxyId + " has no port");
    return new Derived(inbound, outbound, ex);
  }
}
