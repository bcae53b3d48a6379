package dev.consulvmagent.iptables;

import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.host.Host;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What we exclude unless told not to, so a VM is never cut off: inbound 22 and every port sshd
 * listens on; outbound the consul agent's uid (its gossip and RPC must not go through Envoy).
 */
public final class DefaultExclusions {
  private static final Pattern SS_LINE =
      Pattern.compile("\\S+\\s+\\d+\\s+\\d+\\s+\\S*:(\\d+)\\s+.*\"sshd\".*");

  private DefaultExclusions() {}

  public static Set<Integer> sshPorts(Host host) {
    Set<Integer> ports = new LinkedHashSet<>(List.of(22));
    ExecResult r;
    try {
      r = host.run(List.of("ss", "-Hltnp"), Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      return ports;
    }
    if (r.ok()) ports.addAll(parseSs(r.stdout()));
    return ports;
  }

  static List<Integer> parseSs(String out) {
    List<Integer> ports = new ArrayList<>();
    for (String line : out.split("\n")) {
      Matcher m = SS_LINE.matcher(line.trim());
      if (m.matches()) {
        int p = Integer.parseInt(m.group(1));
        if (!ports.contains(p)) ports.add(p);
      }
    }
    return ports;
  }

  /** cfg plus the defaults, each appended only when not already there. */
  public static RedirectConfig add(RedirectConfig c, Set<Integer> sshPorts, Integer consulUid) {
    List<Integer> in = new ArrayList<>(c.excludeInboundPorts());
    for (int p : sshPorts) if (!in.contains(p)) in.add(p);
    List<Integer> uids = new ArrayList<>(c.excludeUids());
    if (consulUid != null && !uids.contains(consulUid) && consulUid != c.proxyUid())
      uids.add(consulUid);
    return new RedirectConfig(
        c.proxyUid(),
        c.proxyInboundPort(),
        c.proxyOutboundPort(),
        in,
        c.excludeOutboundPorts(),
        c.excludeOutboundCidrs(),
        uids,
        c.dnsIp(),
        c.dnsPort());
  }
}
