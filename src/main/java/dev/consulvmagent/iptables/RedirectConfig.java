package dev.consulvmagent.iptables;

import java.util.List;
import java.util.Optional;

/** The inputs of `consul connect redirect-traffic`, after -proxy-id derivation. */
public record RedirectConfig(
    int proxyUid,
    int proxyInboundPort,
    int proxyOutboundPort,
    List<Integer> excludeInboundPorts,
    List<Integer> excludeOutboundPorts,
    List<String> excludeOutboundCidrs,
    List<Integer> excludeUids,
    Optional<String> dnsIp,
    int dnsPort) {

  public RedirectConfig {
    excludeInboundPorts = List.copyOf(excludeInboundPorts);
    excludeOutboundPorts = List.copyOf(excludeOutboundPorts);
    excludeOutboundCidrs = List.copyOf(excludeOutboundCidrs);
    excludeUids = List.copyOf(excludeUids);
  }

  /** DNS port mode: only DNS already sent to the DNS IP is redirected (Consul 1.14+). */
  public boolean dnsPortMode() {
    return dnsPort != 0;
  }

  public boolean dnsEnabled() {
    return dnsIp.isPresent() || dnsPort != 0;
  }

  public String dnsAddress() {
    return dnsIp.orElse("127.0.0.1");
  }
}
