package dev.consulvmagent.iptables;

import java.util.ArrayList;
import java.util.List;

/**
 * Renders our rules as one `iptables-restore --noflush` transaction for the nat table. Our five
 * chains are declared (which creates or empties them) and refilled; the jumps from built-in chains
 * are added only when missing (and stale or duplicated ones deleted), so a re-run replaces our
 * rules instead of failing or duplicating them, and other chains are never touched. The exclusions
 * are emitted in the order Consul's `-I` inserts leave them in the kernel.
 */
public final class RestoreScript {
  private RestoreScript() {}

  public static String apply(RedirectConfig c, String currentNatSave) {
    List<SaveRule> existing = SaveRule.parseAll(currentNatSave);
    List<String> wantedJumps = new ArrayList<>();
    for (List<String> cmd : ConsulRules.dnsRules(c, "-A")) {
      if (cmd.get(3).equals("OUTPUT")) wantedJumps.add(line(cmd));
    }
    wantedJumps.add("-A OUTPUT -p tcp -j " + ConsulRules.OUTPUT);
    wantedJumps.add("-A PREROUTING -p tcp -j " + ConsulRules.INBOUND);

    StringBuilder b = new StringBuilder("*nat\n");
    for (String chain : ConsulRules.CHAINS) b.append(':').append(chain).append(" - [0:0]\n");
    b.append("-A ")
        .append(ConsulRules.REDIRECT)
        .append(" -p tcp -j REDIRECT --to-port ")
        .append(c.proxyOutboundPort())
        .append('\n');
    for (List<String> cmd : ConsulRules.dnsRules(c, "-A")) {
      if (cmd.get(3).equals(ConsulRules.DNS)) b.append(line(cmd)).append('\n');
    }
    b.append(jumps(existing, wantedJumps));
    // CONSUL_PROXY_OUTPUT as Consul's -I sequence leaves it: uids, cidrs, ports (each reversed),
    // then the appends
    for (int i = c.excludeUids().size() - 1; i >= 0; i--) {
      b.append("-A ")
          .append(ConsulRules.OUTPUT)
          .append(" -m owner --uid-owner ")
          .append(c.excludeUids().get(i))
          .append(" -j RETURN\n");
    }
    for (int i = c.excludeOutboundCidrs().size() - 1; i >= 0; i--) {
      b.append("-A ")
          .append(ConsulRules.OUTPUT)
          .append(" -d ")
          .append(c.excludeOutboundCidrs().get(i))
          .append(" -j RETURN\n");
    }
    for (int i = c.excludeOutboundPorts().size() - 1; i >= 0; i--) {
      b.append("-A ")
          .append(ConsulRules.OUTPUT)
          .append(" -p tcp --dport ")
          .append(c.excludeOutboundPorts().get(i))
          .append(" -j RETURN\n");
    }
    b.append("-A ")
        .append(ConsulRules.OUTPUT)
        .append(" -m owner --uid-owner ")
        .append(c.proxyUid())
        .append(" -j RETURN\n");
    b.append("-A ").append(ConsulRules.OUTPUT).append(" -d 127.0.0.1/32 -j RETURN\n");
    b.append("-A ")
        .append(ConsulRules.OUTPUT)
        .append(" -j ")
        .append(ConsulRules.REDIRECT)
        .append('\n');
    b.append("-A ")
        .append(ConsulRules.IN_REDIRECT)
        .append(" -p tcp -j REDIRECT --to-port ")
        .append(c.proxyInboundPort())
        .append('\n');
    for (int i = c.excludeInboundPorts().size() - 1; i >= 0; i--) {
      b.append("-A ")
          .append(ConsulRules.INBOUND)
          .append(" -p tcp --dport ")
          .append(c.excludeInboundPorts().get(i))
          .append(" -j RETURN\n");
    }
    b.append("-A ")
        .append(ConsulRules.INBOUND)
        .append(" -p tcp -j ")
        .append(ConsulRules.IN_REDIRECT)
        .append('\n');
    b.append("COMMIT\n");
    return b.toString();
  }

  /**
   * Jump rules into our chains from built-in chains: kept when exactly the wanted set exists once;
   * otherwise all of ours are deleted and the wanted ones appended in Consul's order.
   */
  private static String jumps(List<SaveRule> existing, List<String> wanted) {
    List<SaveRule> ours = new ArrayList<>();
    for (SaveRule r : existing) {
      if (!ConsulRules.CHAINS.contains(r.chain()) && ConsulRules.CHAINS.contains(r.target()))
        ours.add(r);
    }
    List<SaveRule> want = wanted.stream().map(SaveRule::parse).toList();
    boolean same =
        ours.size() == want.size()
            && want.stream().allMatch(w -> ours.stream().filter(w::sameJump).count() == 1);
    if (same) return "";
    StringBuilder b = new StringBuilder();
    for (SaveRule r : ours) b.append(r.deleteLine()).append('\n');
    for (String w : wanted) b.append(w).append('\n');
    return b.toString();
  }

  /** Removes our jumps and chains, and nothing else; empty when there is nothing of ours. */
  public static String cleanup(String currentNatSave) {
    List<String> present = new ArrayList<>();
    for (String l : currentNatSave.split("\n")) {
      if (l.startsWith(":")) {
        String chain = l.substring(1).split("\\s+")[0];
        if (ConsulRules.CHAINS.contains(chain)) present.add(chain);
      }
    }
    List<SaveRule> jumps = new ArrayList<>();
    for (SaveRule r : SaveRule.parseAll(currentNatSave)) {
      if (!ConsulRules.CHAINS.contains(r.chain()) && ConsulRules.CHAINS.contains(r.target()))
        jumps.add(r);
    }
    if (present.isEmpty() && jumps.isEmpty()) return "";
    StringBuilder b = new StringBuilder("*nat\n");
    for (String chain : present) b.append(':').append(chain).append(" - [0:0]\n");
    for (SaveRule r : jumps) b.append(r.deleteLine()).append('\n');
    for (String chain : present) b.append("-X ").append(chain).append('\n');
    b.append("COMMIT\n");
    return b.toString();
  }

  private static String line(List<String> cmd) {
    return String.join(" ", cmd.subList(2, cmd.size()));
  }
}
