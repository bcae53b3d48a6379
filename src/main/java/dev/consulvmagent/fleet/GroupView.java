package dev.consulvmagent.fleet;

import java.util.List;
import java.util.Optional;

/** One read of a group's spec/ keys, with the X-Consul-Index of the answer. */
public record GroupView(long index, Optional<Desired> desired, Control control, Canaries canaries) {
  /** The canary places taken for one revision. */
  public record Canaries(long revision, List<String> nodes) {
    public static final Canaries NONE = new Canaries(0, List.of());

    public boolean has(long rev, String node) {
      return revision == rev && nodes.contains(node);
    }
  }
}
