package dev.consulvmagent.iptables;

import java.util.ArrayList;
import java.util.List;

/**
 * The rules Consul's sdk/iptables generates (1.16–1.21), one `iptables` invocation per entry, in
 * Consul's order (reference/consul-tproxy.md §3.2). Used as the compatibility oracle and as the
 * "replay Consul" benchmark baseline; we apply the same rules atomically instead.
 */
public final class ConsulRules {
  public static final String INBOUND = "CONSUL_PROXY_INBOUND";
  public static final String IN_REDIRECT = "CONSUL_PROXY_IN_REDIRECT";
  public static final String OUTPUT = "CONSUL_PROXY_OUTPUT";
  public static final String REDIRECT = "CONSUL_PROXY_REDIRECT";
  public static final String DNS = "CONSUL_DNS_REDIRECT";
  public static final List<String> CHAINS = List.of(INBOUND, IN_REDIRECT, OUTPUT, REDIRECT, DNS);

  private ConsulRules() {}

  public static List<List<String>> commands(RedirectConfig c) {
    List<List<String>> out = new ArrayList<>();
    for (String chain : CHAINS) out.add(nat("-N", chain));
    out.add(
        nat(
            "-A",
            REDIRECT,
            "-p",
            "tcp",
            "-j",
            "REDIRECT",
            "--to-port",
            String.valueOf(c.proxyOutboundPort())));
    out.addAll(dnsRules(c, "-A"));
    out.add(nat("-A", "OUTPUT", "-p", "tcp", "-j", OUTPUT));
    out.add(
        nat(
            "-A",
            OUTPUT,
            "-m",
            "owner",
            "--uid-owner",
            String.valueOf(c.proxyUid()),
            "-j",
            "RETURN"));
    out.add(nat("-A", OUTPUT, "-d", "127.0.0.1/32", "-j", "RETURN"));
    out.add(nat("-A", OUTPUT, "-j", REDIRECT));
    for (int p : c.excludeOutboundPorts())
      out.add(nat("-I", OUTPUT, "-p", "tcp", "--dport", String.valueOf(p), "-j", "RETURN"));
    for (String cidr : c.excludeOutboundCidrs())
      out.add(nat("-I", OUTPUT, "-d", cidr, "-j", "RETURN"));
    for (int u : c.excludeUids())
      out.add(nat("-I", OUTPUT, "-m", "owner", "--uid-owner", String.valueOf(u), "-j", "RETURN"));
    out.add(
        nat(
            "-A",
            IN_REDIRECT,
            "-p",
            "tcp",
            "-j",
            "REDIRECT",
            "--to-port",
            String.valueOf(c.proxyInboundPort())));
    out.add(nat("-A", "PREROUTING", "-p", "tcp", "-j", INBOUND));
    out.add(nat("-A", INBOUND, "-p", "tcp", "-j", IN_REDIRECT));
    for (int p : c.excludeInboundPorts())
      out.add(nat("-I", INBOUND, "-p", "tcp", "--dport", String.valueOf(p), "-j", "RETURN"));
    return out;
  }

  /** The four DNS lines of §3.5 (none when DNS is off). */
  static List<List<String>> dnsRules(RedirectConfig c, String op) {
    List<List<String>> out = new ArrayList<>();
    if (!c.dnsEnabled()) return out;
    String ip = c.dnsAddress();
    if (c.dnsPortMode()) {
      String to = ip + ":" + c.dnsPort();
      out.add(
          nat(
              op,
              DNS,
              "-p",
              "udp",
              "-d",
              ip,
              "--dport",
              "53",
              "-j",
              "DNAT",
              "--to-destination",
              to));
      out.add(
          nat(
              op,
              DNS,
              "-p",
              "tcp",
              "-d",
              ip,
              "--dport",
              "53",
              "-j",
              "DNAT",
              "--to-destination",
              to));
      out.add(nat(op, "OUTPUT", "-p", "udp", "-d", ip, "--dport", "53", "-j", DNS));
      out.add(nat(op, "OUTPUT", "-p", "tcp", "-d", ip, "--dport", "53", "-j", DNS));
    } else {
      out.add(nat(op, DNS, "-p", "udp", "--dport", "53", "-j", "DNAT", "--to-destination", ip));
      out.add(nat(op, DNS, "-p", "tcp", "--dport", "53", "-j", "DNAT", "--to-destination", ip));
      out.add(nat(op, "OUTPUT", "-p", "udp", "--dport", "53", "-j", DNS));
      out.add(nat(op, "OUTPUT", "-p", "tcp", "--dport", "53", "-j", DNS));
    }
    return out;
  }

  private static List<String> nat(String... args) {
    List<String> l = new ArrayList<>(List.of("-t", "nat"));
    l.addAll(List.of(args));
    return l;
  }
}
