package dev.consulvmagent.spec;

import java.util.Map;
import java.util.Optional;

/**
 * Which Envoy minor versions each Consul minor supports (reference/consul-tproxy.md §8.1 and
 * releases.md §2.5). Consul itself refuses others at start without naming the range; we refuse
 * them at validation time and say it.
 */
public final class EnvoyCompatibility {
  /** Consul minor → {lowest, highest} supported Envoy minor (1.x). */
  private static final Map<Integer, int[]> TABLE = Map.of(
      16, new int[] {23, 26},
      17, new int[] {24, 27},
      18, new int[] {25, 28},
      19, new int[] {26, 29},
      20, new int[] {28, 33},
      21, new int[] {31, 34},
      22, new int[] {32, 35});

  private EnvoyCompatibility() {}

  /** An error message when the pair is known to be unsupported; empty when fine or unknown. */
  public static Optional<String> check(String consulVersion, String envoyVersion) {
    String[] c = consulVersion.split("[.+]");
    String[] e = envoyVersion.split("[.+]");
    if (!c[0].equals("1") || !e[0].equals("1")) return Optional.empty();
    int[] range = TABLE.get(Integer.parseInt(c[1]));
    if (range == null) return Optional.empty();
    int minor = Integer.parseInt(e[1]);
    if (minor < range[0] || minor > range[1]) {
      return Optional.of(String.format(
          "Envoy %s is not supported by Consul %s, which supports Envoy 1.%d.x to 1.%d.x",
          envoyVersion, consulVersion, range[0], range[1]));
    }
    return Optional.empty();
  }
}
