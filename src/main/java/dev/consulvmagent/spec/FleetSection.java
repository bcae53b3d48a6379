package dev.consulvmagent.spec;

import static dev.consulvmagent.spec.SpecLoader.mapping;
import static dev.consulvmagent.spec.SpecLoader.opt;

import java.nio.file.Path;
import java.util.Optional;

/** Reads {@code fleet:} (issue 22): group, kv_prefix, token_file. */
final class FleetSection {
  private FleetSection() {}

  static Optional<FleetSpec> read(Node n, SpecLoader.Problems p) {
    if (!mapping(n, p, "fleet settings")) return Optional.empty();
    String group =
        p.get(
            () -> {
              Node g = n.require("group");
              String v = g.text();
              if (!FleetSpec.isGroup(v))
                throw g.error(
                    "must be 1-63 of a-z, 0-9, '-', '_' (starting and ending with a letter or"
                        + " digit), got "
                        + Validators.quote(v));
              return v;
            },
            null);
    String prefix =
        p.get(
            () ->
                opt(n, "kv_prefix")
                    .map(
                        k -> {
                          String v = k.text();
                          if (!FleetSpec.isPrefix(v))
                            throw k.error(
                                "must be a KV path ending in '/' (segments of A-Z a-z 0-9 . _ -,"
                                    + " no leading '/', no '..'), got "
                                    + Validators.quote(v));
                          return v;
                        })
                    .orElse(FleetSpec.DEFAULT_PREFIX),
            null);
    Optional<Path> token =
        p.get(
            () ->
                opt(n, "token_file")
                    .map(
                        t -> {
                          String v = Validators.singleLine(t);
                          if (!v.startsWith("/") || v.contains("/../") || v.endsWith("/.."))
                            throw t.error("must be an absolute path, got " + Validators.quote(v));
                          return Path.of(v);
                        }),
            Optional.empty());
    p.run(n::done);
    if (group == null || prefix == null) return Optional.empty();
    return Optional.of(new FleetSpec(group, prefix, token));
  }
}
