package dev.consulvmagent.fleet;

import dev.consulvmagent.consul.ConsulException;
import dev.consulvmagent.consul.ConsulQuery;
import dev.consulvmagent.consul.KvApi;
import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * {@link GroupStore} on Consul's KV store, in the {@link FleetKeys} layout. Every Consul failure
 * (down, no leader, a refused token, an unreadable answer) becomes {@link
 * FleetUnavailableException}: the watcher concludes nothing from it.
 */
public final class ConsulGroupStore implements GroupStore {
  private static final int CAS_TRIES = 20;
  private final KvApi kv;
  private final FleetKeys keys;

  public ConsulGroupStore(KvApi kv, FleetKeys keys) {
    this.kv = kv;
    this.keys = keys;
  }

  public FleetKeys keys() {
    return keys;
  }

  private static <T> T call(String what, Supplier<T> s) {
    try {
      return s.get();
    } catch (ConsulException e) {
      throw new FleetUnavailableException(what + ": " + e.getMessage(), e);
    }
  }

  @Override
  public GroupView read(long index, Duration wait) {
    KvApi.Read r =
        call(
            "reading " + keys.spec(),
            () ->
                kv.list(
                    keys.spec(),
                    index == 0
                        ? ConsulQuery.NONE
                        : ConsulQuery.blocking(index, BlockingIndex.clampWait(wait))));
    Optional<Desired> desired = Optional.empty();
    Control control = Control.NONE;
    GroupView.Canaries canaries = GroupView.Canaries.NONE;
    for (KvApi.KvPair p : r.pairs()) {
      if (p.key().equals(keys.desired())) desired = Optional.of(Desired.fromJson(p.value()));
      else if (p.key().equals(keys.control())) control = Control.fromJson(p.value());
      else if (p.key().equals(keys.canaries())) canaries = canaries(p.value());
    }
    return new GroupView(r.index(), desired, control, canaries);
  }

  /** The desired document and its ModifyIndex (0: none yet), for a check-and-set push. */
  public Optional<KvApi.KvPair> desiredPair() {
    return call("reading " + keys.desired(), () -> kv.get(keys.desired(), ConsulQuery.NONE))
        .first();
  }

  static GroupView.Canaries canaries(byte[] json) {
    try {
      Map<String, Object> m = Json.parseObject(json);
      long rev = m.get("revision") instanceof Number n ? n.longValue() : 0;
      List<String> nodes = new ArrayList<>();
      if (m.get("nodes") instanceof List<?> l) for (Object o : l) nodes.add(String.valueOf(o));
      return new GroupView.Canaries(rev, List.copyOf(nodes));
    } catch (IOException e) {
      return GroupView.Canaries.NONE;
    }
  }

  static byte[] render(GroupView.Canaries c) {
    return Json.render(Map.of("revision", c.revision(), "nodes", c.nodes()));
  }

  @Override
  public Optional<Desired> revision(long n) {
    return call("reading " + keys.revision(n), () -> kv.get(keys.revision(n), ConsulQuery.NONE))
        .first()
        .map(p -> Desired.fromJson(p.value()));
  }

  @Override
  public void report(NodeReport r) {
    call("writing " + keys.node(r.node()), () -> kv.put(keys.node(r.node()), r.toJson(), 0));
  }

  @Override
  public List<NodeReport> reports() {
    KvApi.Read r = call("reading " + keys.nodes(), () -> kv.list(keys.nodes(), ConsulQuery.NONE));
    List<NodeReport> out = new ArrayList<>();
    for (KvApi.KvPair p : r.pairs())
      out.add(NodeReport.fromJson(p.key().substring(keys.nodes().length()), p.value()));
    return out;
  }

  /** Read-modify-write of one key by check-and-set; change returns null to leave it as is. */
  private <T> boolean update(
      String key,
      Function<byte[], T> parse,
      T empty,
      UnaryOperator<T> change,
      Function<T, byte[]> render) {
    for (int i = 0; i < CAS_TRIES; i++) {
      Optional<KvApi.KvPair> p =
          call("reading " + key, () -> kv.get(key, ConsulQuery.NONE)).first();
      T now = p.map(x -> parse.apply(x.value())).orElse(empty);
      T next = change.apply(now);
      if (next == null) return false;
      long cas = p.map(KvApi.KvPair::modifyIndex).orElse(0L);
      if (call("writing " + key, () -> kv.cas(key, render.apply(next), cas, 0))) return true;
    }
    throw new FleetUnavailableException(key + ": " + CAS_TRIES + " check-and-set attempts lost");
  }

  /** Changes the control document by check-and-set (pause, resume, promote, halt, unhalt). */
  public boolean updateControl(UnaryOperator<Control> change) {
    return update(keys.control(), Control::fromJson, Control.NONE, change, Control::toJson);
  }

  @Override
  public void halt(Control.Halt h) {
    updateControl(
        c ->
            c.halted().isPresent() && c.halted().get().revision() >= h.revision()
                ? null
                : c.withHalt(h));
  }

  @Override
  public boolean claimCanary(long revision, String node, int limit) {
    boolean[] member = {false};
    update(
        keys.canaries(),
        ConsulGroupStore::canaries,
        GroupView.Canaries.NONE,
        c -> {
          member[0] = false;
          GroupView.Canaries cur =
              c.revision() == revision ? c : new GroupView.Canaries(revision, List.of());
          if (cur.nodes().contains(node)) {
            member[0] = true;
            return null;
          }
          if (cur.nodes().size() >= limit) return null;
          List<String> n = new ArrayList<>(cur.nodes());
          n.add(node);
          member[0] = true;
          return new GroupView.Canaries(revision, List.copyOf(n));
        },
        ConsulGroupStore::render);
    return member[0];
  }

  @Override
  public void promote(long revision) {
    updateControl(c -> c.promoted() >= revision ? null : c.withPromoted(revision));
  }
}
