package dev.consulvmagent.app;

import dev.consulvmagent.iptables.ConsulRules;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares our chains in `iptables-save` output with a restore script, rule by rule, after
 * normalising what iptables-save adds (-m tcp, /32, --to-ports) so equal rules compare equal.
 */
final class RuleDrift {
  private RuleDrift() {}

  static List<String> compare(String wantedScript, String save) {
    Map<String, List<String>> want = chains(wantedScript);
    Map<String, List<String>> have = chains(save);
    List<String> out = new ArrayList<>();
    for (String chain : ConsulRules.CHAINS) {
      List<String> w = want.getOrDefault(chain, List.of());
      List<String> h = have.getOrDefault(chain, List.of());
      if (!have.containsKey(chain) && !w.isEmpty()) {
        out.add(chain + " is missing");
        continue;
      }
      for (String r : w) if (!h.contains(r)) out.add("missing in " + chain + ": " + r);
      for (String r : h) if (!w.contains(r)) out.add("unexpected in " + chain + ": " + r);
      if (out.isEmpty() && !w.equals(h)) out.add(chain + ": rules in a different order");
    }
    boolean jumpIn =
        save.lines()
            .anyMatch(
                l -> l.startsWith("-A PREROUTING") && l.contains("-j " + ConsulRules.INBOUND));
    boolean jumpOut =
        save.lines()
            .anyMatch(l -> l.startsWith("-A OUTPUT") && l.contains("-j " + ConsulRules.OUTPUT));
    if (!jumpIn) out.add("no jump from PREROUTING to " + ConsulRules.INBOUND);
    if (!jumpOut) out.add("no jump from OUTPUT to " + ConsulRules.OUTPUT);
    return out;
  }

  private static Map<String, List<String>> chains(String text) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (String l : text.split("\n")) {
      if (l.startsWith(":")) m.putIfAbsent(l.substring(1).split("\\s+")[0], new ArrayList<>());
      if (l.startsWith("-A ")) {
        String chain = l.split("\\s+")[1];
        if (ConsulRules.CHAINS.contains(chain))
          m.computeIfAbsent(chain, k -> new ArrayList<>()).add(normalise(l));
      }
    }
    return m;
  }

  static String normalise(String rule) {
    String r = " " + rule.trim() + " ";
    r =
        r.replace(" -m tcp ", " ")
            .replace(" -m udp ", " ")
            .replace("/32 ", " ")
            .replace(" --to-port ", " --to-ports ");
    List<String> t = new ArrayList<>(List.of(r.trim().split("\\s+")));
    // iptables-save prints -d before -p; order the match options the same way on both sides
    StringBuilder b = new StringBuilder(t.get(0) + " " + t.get(1));
    String[] keys = {
      "-d", "-p", "-m", "--uid-owner", "--dport", "-j", "--to-ports", "--to-destination"
    };
    for (String k : keys) {
      int i = t.indexOf(k);
      if (i >= 0 && i + 1 < t.size()) b.append(' ').append(k).append(' ').append(t.get(i + 1));
    }
    return b.toString();
  }
}
