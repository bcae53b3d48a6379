package dev.consulvmagent.spec;

import static dev.consulvmagent.spec.SpecLoader.mapping;
import static dev.consulvmagent.spec.SpecLoader.opt;

import java.util.Optional;

/**
 * Reads {@code envoy:}: version, sha256, admin_port, ignore_compatibility (defaults when absent).
 */
final class EnvoySection {
  private EnvoySection() {}

  static EnvoySpec read(Node n, SpecLoader.Problems p) {
    EnvoySpec dflt =
        new EnvoySpec(SpecLoader.DEFAULT_ENVOY_VERSION, Optional.empty(), 19000, false);
    if (n == null) return dflt;
    if (!mapping(n, p, "Envoy settings")) return null;
    String version =
        p.get(
            () ->
                opt(n, "version").map(Validators::version).orElse(SpecLoader.DEFAULT_ENVOY_VERSION),
            null);
    Optional<String> sha = p.get(() -> opt(n, "sha256").map(Validators::sha256), Optional.empty());
    int admin = p.get(() -> opt(n, "admin_port").map(Node::port).orElse(19000), 19000);
    boolean ignore =
        p.get(() -> opt(n, "ignore_compatibility").map(Node::bool).orElse(false), true);
    p.run(n::done);
    return version == null ? null : new EnvoySpec(version, sha, admin, ignore);
  }
}
