package dev.consulvmagent.iptables;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What `redirect-traffic -proxy-id` reads from the proxy's registration, in Consul's order
 * (reference/consul-tproxy.md §2.3): inbound port, outbound port, derived inbound exclusions.
 */
public final class ProxyDerivation {
  public record Derived(int inboundPort, int outboundPort, List<Integer> excludeInbound) {}

  private ProxyDerivation() {}

  public static Derived derive(String proxyId, JsonNode svc, JsonNode checks) {
    JsonNode proxy = svc.path("Proxy");
    if (proxy.isMissingNode() || proxy.isNull())
      throw new IllegalArgumentException("service " + proxyId + " is not a proxy service");
    JsonNode cfg = proxy.path("Config");
    int inbound = svc.path("Port").asInt(0);
    JsonNode bind = cfg.path("bind_port");
    if (!bind.isMissingNode() && !bind.isNull()) {
      int b;
      if (bind.isNumber()) b = bind.asInt();
      else {
        try {
          b = Integer.parseInt(bind.asText());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "failed parsing Proxy.Config: bind_port " + bind.asText() + " is not a number");
        }
      }
      if (b != 0) inbound = b;
    }
    int outbound = 15001;
    int olp = proxy.path("TransparentProxy").path("OutboundListenerPort").asInt(0);
    if (olp != 0) outbound = olp;
    List<Integer> ex = new ArrayList<>();
    for (String key : List.of("envoy_prometheus_bind_addr", "envoy_stats_bind_addr")) {
      JsonNode v = cfg.path(key);
      if (!v.isMissingNode() && !v.isNull() && !v.asText().isEmpty()) {
        String a = v.asText();
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
    for (JsonNode p : proxy.path("Expose").path("Paths")) {
      int lp = p.path("ListenerPort").asInt(0);
      if (lp != 0) ex.add(lp);
    }
    if (proxy.path("Expose").path("Checks").asBoolean(false) && checks != null) {
      String dest = proxy.path("DestinationServiceID").asText();
      for (Iterator<Map.Entry<String, JsonNode>> it = checks.fields(); it.hasNext(); ) {
        JsonNode c = it.next().getValue();
        if (dest.equals(c.path("ServiceID").asText()) && c.path("ExposedPort").asInt(0) != 0)
          ex.add(c.path("ExposedPort").asInt());
      }
    }
    if (inbound == 0) throw new IllegalArgumentException("proxy " + proxyId + " has no port");
    return new Derived(inbound, outbound, ex);
  }
}
