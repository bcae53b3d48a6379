package dev.consulvmagent.iptables;

import dev.consulvmagent.spec.Validators;
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

  /**
   * Every value is written into an iptables-restore script that root runs: each is checked here,
   * where every path (flags, annotations, a registration) meets, so " -j ACCEPT" or a newline and a
   * rule of one's own can never reach the script.
   */
  public RedirectConfig {
    excludeInboundPorts = List.copyOf(excludeInboundPorts);
    excludeOutboundPorts = List.copyOf(excludeOutboundPorts);
    excludeOutboundCidrs = List.copyOf(excludeOutboundCidrs);
    excludeUids = List.copyOf(excludeUids);
    for (String c : excludeOutboundCidrs) {
      if (!Validators.isIpv4OrCidr(c)) {
        throw new IllegalArgumentException(
            "-exclude-outbound-cidr: " + Validators.quote(c) + " is not an IPv4 address or CIDR");
      }
    }
    for (int p : excludeInboundPorts) port("-exclude-inbound-port", p, 1);
    for (int p : excludeOutboundPorts) port("-exclude-outbound-port", p, 1);
    port("-proxy-inbound-port", proxyInboundPort, 0);
    port("-proxy-outbound-port", proxyOutboundPort, 1);
    port("-consul-dns-port", dnsPort, 0);
    if (proxyUid < 0)
      throw new IllegalArgumentException("-proxy-uid: " + proxyUid + " is not a uid");
    for (int u : excludeUids) {
      if (u < 0) throw new IllegalArgumentException("-exclude-uid: " + u + " is not a uid");
    }
    dnsIp.ifPresent(
        ip -> {
          if (!Validators.isIpv4(ip)) {
            throw new IllegalArgumentException(
                "-consul-dns-ip: " + Validators.quote(ip) + " is not an IPv4 address");
          }
        });
  }

  private static void port(String flag, int p, int min) {
    if (p < min || p > 65535)
      throw new IllegalArgumentException(flag + ": port out of range: " + p);
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
