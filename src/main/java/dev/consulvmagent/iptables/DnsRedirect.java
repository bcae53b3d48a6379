package dev.consulvmagent.iptables;

import java.util.ArrayList;
import java.util.List;

/**
 * The host's DNS redirect for dns.mode iptables, independent of transparent proxy: DNS sent to
 * 127.0.0.1:53 (udp and tcp) goes to Consul DNS at 127.0.0.1:8600 — the rules of Consul's
 * redirect-traffic DNS port mode (reference/consul-tproxy.md §3.5), in a chain of our own, so a
 * sidecar's rules (and their cleanup, which owns only {@link ConsulRules#CHAINS}) never touch it,
 * and it works on Consul 1.8, which has no transparent proxy. Rendered as one {@code
 * iptables-restore --noflush} transaction: a re-run replaces, never duplicates.
 */
public final class DnsRedirect {
  public static final String CHAIN = "CONSUL_VM_DNS";
  public static final String IP = "127.0.0.1";
  public static final int CONSUL_DNS_PORT = 8600;

  private DnsRedirect() {}

  private static final List<String> PROTOCOLS = List.of("udp", "tcp");

  /** DNS to IP:53 over protocol p, as the chain's rules and the jumps into it match it. */
  private static String dns(String p) {
    return "-p " + p + " -d " + IP + "/32 --dport 53";
  }

  private static List<String> jumps() {
    List<String> out = new ArrayList<>();
    for (String p : PROTOCOLS) out.add("-A OUTPUT " + dns(p) + " -j " + CHAIN);
    return out;
  }

  /** The restore script that installs (or refreshes) the redirect. */
  public static String apply(String currentNatSave) {
    StringBuilder b = new StringBuilder("*nat\n:").append(CHAIN).append(" - [0:0]\n");
    for (String p : PROTOCOLS) {
      b.append("-A ")
          .append(CHAIN)
          .append(' ')
          .append(dns(p))
          .append(" -j DNAT --to-destination ")
          .append(IP)
          .append(':')
          .append(CONSUL_DNS_PORT)
          .append('\n');
    }
    List<SaveRule> ours = ourJumps(currentNatSave);
    List<SaveRule> want = jumps().stream().map(SaveRule::parse).toList();
    boolean same =
        ours.size() == want.size()
            && want.stream().allMatch(w -> ours.stream().filter(w::sameJump).count() == 1);
    if (!same) {
      for (SaveRule r : ours) b.append(r.deleteLine()).append('\n');
      for (String j : jumps()) b.append(j).append('\n');
    }
    return b.append("COMMIT\n").toString();
  }

  /** The restore script that removes the jumps and the chain; empty when none is there. */
  public static String cleanup(String currentNatSave) {
    List<SaveRule> ours = ourJumps(currentNatSave);
    boolean chain = currentNatSave.lines().anyMatch(l -> l.startsWith(":" + CHAIN + " "));
    if (!chain && ours.isEmpty()) return "";
    StringBuilder b = new StringBuilder("*nat\n");
    if (chain) b.append(':').append(CHAIN).append(" - [0:0]\n");
    for (SaveRule r : ours) b.append(r.deleteLine()).append('\n');
    if (chain) b.append("-X ").append(CHAIN).append('\n');
    return b.append("COMMIT\n").toString();
  }

  /**
   * One transaction that removes all of our nat rules: the sidecar's chains ({@link
   * RestoreScript#cleanup}) and this DNS chain, each with its jumps; nobody else's rule (Docker's,
   * the admin's) is touched. Empty when none of ours is there. For uninstall, which cannot count on
   * consul-dns-redirect.service's ExecStop having run.
   */
  public static String cleanupAll(String currentNatSave) {
    String body = body(RestoreScript.cleanup(currentNatSave)) + body(cleanup(currentNatSave));
    return body.isEmpty() ? "" : "*nat\n" + body + "COMMIT\n";
  }

  /** A one-table restore script without its "*nat" and "COMMIT" lines. */
  private static String body(String script) {
    if (script.isEmpty()) return "";
    if (!script.startsWith("*nat\n") || !script.endsWith("COMMIT\n")) {
      throw new IllegalStateException("not a nat restore script: " + script);
    }
    return script.substring("*nat\n".length(), script.length() - "COMMIT\n".length());
  }

  private static List<SaveRule> ourJumps(String save) {
    List<SaveRule> out = new ArrayList<>();
    for (SaveRule r : SaveRule.parseAll(save))
      if (!r.chain().equals(CHAIN) && CHAIN.equals(r.target())) out.add(r);
    return out;
  }

  /** Installs it on the host; returns the script applied. */
  public static String install(Iptables ipt) {
    String s = apply(ipt.saveNat());
    ipt.restore(s);
    return s;
  }

  /** Removes all of our nat rules from the host at once ({@link #cleanupAll}); the script. */
  public static String removeAll(Iptables ipt) {
    String s = cleanupAll(ipt.saveNat());
    ipt.restore(s);
    return s;
  }

  /** Removes it from the host; returns the script applied (empty: nothing was there). */
  public static String remove(Iptables ipt) {
    String s = cleanup(ipt.saveNat());
    ipt.restore(s);
    return s;
  }
}
