package dev.consulvmagent.spec;

import java.util.Map;
import java.util.Optional;

/**
 * Which Envoy minor versions each Consul minor supports. Consul itself refuses others at start
 * (1.15+, hashicorp/consul PR #15818) without naming the range; we refuse them at validation time
 * and say it. Consul lines not listed are not checked. Every row names its source.
 */
public final class EnvoyCompatibility {
  /** Consul minor → {lowest, highest} supported Envoy minor (1.x). */
  private static final Map<Integer, int[]> TABLE =
      Map.of(
          // hashicorp/consul PR #8999 (release/1.8.x): "update supported envoy point releases to
          // 1.14.5, 1.13.6, 1.12.7, 1.11.2 for 1.8.x"
          8, new int[] {11, 14},
          // docs table in hashicorp/consul PR #19276: 1.26.4, 1.25.9, 1.24.10, 1.23.12
          16, new int[] {23, 26},
          // release/1.17.x proxysupport.go: 1.27.0, 1.26.4, 1.25.9, 1.24.10
          17, new int[] {24, 27},
          // CE range per hashicorp/consul PR #21295 (docs: four majors per release; 1.18 CE
          // 1.25–1.28)
          18, new int[] {25, 28},
          // the PR #21295 rule (four majors); hashicorp/consul issue #23130: 1.19.2 refuses 1.33.14
          19, new int[] {26, 29},
          // [unsure] 1.28–1.31 at GA (releases.md §2.5), later docs copies say 1.30–1.33: the union
          20, new int[] {28, 33},
          // hashicorp/consul issue #23929 quoting release/1.21.x ENVOY_VERSIONS:
          // 1.34.7 / 1.33.9 / 1.32.12 / 1.31.10
          21, new int[] {31, 34},
          // hashicorp/consul issue #23929 quoting release/1.22.x ENVOY_VERSIONS:
          // 1.35.9 / 1.34.13 / 1.33.14 (not from 1.32)
          22, new int[] {33, 35});

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
      return Optional.of(
          String.format(
              "Envoy %s is not supported by Consul %s, which supports Envoy 1.%d.x to 1.%d.x",
              envoyVersion, consulVersion, range[0], range[1]));
    }
    return Optional.empty();
  }
}
