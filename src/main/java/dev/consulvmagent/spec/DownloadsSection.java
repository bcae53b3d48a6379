package dev.consulvmagent.spec;

import static dev.consulvmagent.spec.SpecLoader.mapping;
import static dev.consulvmagent.spec.SpecLoader.opt;

import java.util.Optional;

/**
 * Reads {@code downloads:}: mirror, arch, verify_signatures, max_size_mib, speed_limit, speed_time.
 */
final class DownloadsSection {
  private DownloadsSection() {}

  static DownloadsSpec read(Node n, SpecLoader.Problems p) {
    if (n == null) return new DownloadsSpec(Optional.empty(), Optional.empty(), true);
    if (!mapping(n, p, "download settings"))
      return new DownloadsSpec(Optional.empty(), Optional.empty(), true);
    Optional<String> mirror =
        p.get(
            () ->
                opt(n, "mirror")
                    .map(
                        m -> {
                          String v = Validators.singleLine(m);
                          return v.startsWith("/") || v.startsWith("file:/")
                              ? v
                              : Validators.httpUrl(m);
                        }),
            Optional.empty());
    Optional<String> arch =
        p.get(
            () ->
                opt(n, "arch")
                    .map(
                        a ->
                            switch (a.text()) {
                              case "amd64", "arm64" -> a.text();
                              default ->
                                  throw a.error(
                                      "must be amd64 or arm64, got " + Validators.quote(a.text()));
                            }),
            Optional.empty());
    boolean verify = p.get(() -> opt(n, "verify_signatures").map(Node::bool).orElse(true), true);
    DownloadsSpec.MaxSizes max =
        p.get(() -> maxSizes(opt(n, "max_size_mib"), p), DownloadsSpec.MaxSizes.DEFAULT);
    long speedLimit =
        p.get(
                () -> opt(n, "speed_limit").map(v -> range(v, 0, 1L << 30, "bytes per second")),
                Optional.<Long>empty())
            .orElse(DownloadsSpec.SPEED_LIMIT);
    long speedTime =
        p.get(
                () -> opt(n, "speed_time").map(v -> range(v, 1, 3600, "seconds")),
                Optional.<Long>empty())
            .orElse(DownloadsSpec.SPEED_TIME);
    p.run(n::done);
    return new DownloadsSpec(mirror, arch, verify, max, speedLimit, speedTime);
  }

  /** downloads.max_size_mib: {consul, envoy, app, checksums}, each a whole number of MiB. */
  private static DownloadsSpec.MaxSizes maxSizes(Optional<Node> node, SpecLoader.Problems p) {
    DownloadsSpec.MaxSizes d = DownloadsSpec.MaxSizes.DEFAULT;
    if (node.isEmpty()) return d;
    Node m = node.get();
    if (!mapping(m, p, "sizes in MiB per artifact kind (consul, envoy, app, checksums)")) return d;
    long consul =
        p.get(
            () -> opt(m, "consul").map(v -> range(v, 1, 1 << 16, "MiB")).orElse(d.consul()),
            d.consul());
    long envoy =
        p.get(
            () -> opt(m, "envoy").map(v -> range(v, 1, 1 << 16, "MiB")).orElse(d.envoy()),
            d.envoy());
    long app =
        p.get(() -> opt(m, "app").map(v -> range(v, 1, 1 << 16, "MiB")).orElse(d.app()), d.app());
    long sums =
        p.get(
            () -> opt(m, "checksums").map(v -> range(v, 1, 64, "MiB")).orElse(d.checksums()),
            d.checksums());
    p.run(m::done);
    return new DownloadsSpec.MaxSizes(consul, envoy, app, sums);
  }

  private static long range(Node v, long min, long max, String unit) {
    long x = v.integer();
    if (x < min || x > max) {
      throw v.error("must be between " + min + " and " + max + " " + unit + ", got " + x);
    }
    return x;
  }
}
