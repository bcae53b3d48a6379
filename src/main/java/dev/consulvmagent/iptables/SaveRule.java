package dev.consulvmagent.iptables;

import java.util.ArrayList;
import java.util.List;

/** One `-A CHAIN …` line of iptables-save, with the fields we compare on. */
record SaveRule(String chain, String line, String proto, String dest, String dport, String target) {
  static SaveRule parse(String line) {
    String[] t = line.trim().split("\\s+");
    String chain = t.length > 1 ? t[1] : "";
    String proto = null, dest = null, dport = null, target = null;
    for (int i = 2; i < t.length - 1; i++) {
      switch (t[i]) {
        case "-p" -> proto = t[++i];
        case "-d" -> dest = t[++i].endsWith("/32") ? t[i].substring(0, t[i].length() - 3) : t[i];
        case "--dport" -> dport = t[++i];
        case "-j" -> target = t[++i];
        default -> {}
      }
    }
    return new SaveRule(chain, line.trim(), proto, dest, dport, target);
  }

  /** Same chain, protocol, destination, port and target: the same jump for our purposes. */
  boolean sameJump(SaveRule o) {
    return chain.equals(o.chain)
        && eq(proto, o.proto)
        && eq(dest, o.dest)
        && eq(dport, o.dport)
        && eq(target, o.target);
  }

  private static boolean eq(String a, String b) {
    return a == null ? b == null : a.equals(b);
  }

  static List<SaveRule> parseAll(String save) {
    List<SaveRule> out = new ArrayList<>();
    for (String l : save.split("\n")) if (l.startsWith("-A ")) out.add(parse(l));
    return out;
  }

  /** The restore line that deletes this rule. */
  String deleteLine() {
    return "-D" + line.substring(2);
  }
}
