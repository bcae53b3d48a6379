package dev.consulvmagent.spec;

import static dev.consulvmagent.spec.SpecLoader.mapping;
import static dev.consulvmagent.spec.SpecLoader.opt;

/** Reads {@code dns:}: the mode (auto, resolved, iptables, none; auto when absent). */
final class DnsSection {
  private DnsSection() {}

  static DnsSpec read(Node n, SpecLoader.Problems p) {
    if (n == null) return new DnsSpec(DnsSpec.Mode.AUTO);
    if (!mapping(n, p, "DNS settings")) return new DnsSpec(DnsSpec.Mode.AUTO);
    DnsSpec.Mode mode =
        p.get(
            () ->
                opt(n, "mode")
                    .map(
                        m ->
                            switch (m.text()) {
                              case "auto" -> DnsSpec.Mode.AUTO;
                              case "resolved" -> DnsSpec.Mode.RESOLVED;
                              case "iptables" -> DnsSpec.Mode.IPTABLES;
                              case "none" -> DnsSpec.Mode.NONE;
                              default ->
                                  throw m.error(
                                      "must be one of auto, resolved, iptables, none; got "
                                          + Validators.quote(m.text()));
                            })
                    .orElse(DnsSpec.Mode.AUTO),
            DnsSpec.Mode.AUTO);
    p.run(n::done);
    return new DnsSpec(mode);
  }
}
