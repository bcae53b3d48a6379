package dev.consulvmagent.fleet;

import dev.consulvmagent.consul.ConsulException;
import dev.consulvmagent.consul.ConsulQuery;
import dev.consulvmagent.consul.KvApi;
import dev.consulvmagent.consul.TxnApi;
import dev.consulvmagent.spec.ConfigOverlay;
import dev.consulvmagent.spec.SpecException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The operator's side of a group: push a revision, read its status, pause, resume, promote, roll
 * back. A push is one transaction: check-and-set of spec/desired on the ModifyIndex it read, and
 * the copy at revisions/N; of two pushes from the same base exactly one commits, the other is told
 * someone pushed first.
 */
public final class FleetOperator {
  private final KvApi kv;
  private final TxnApi txn;
  private final ConsulGroupStore store;
  private final FleetKeys keys;

  public FleetOperator(KvApi kv, TxnApi txn, FleetKeys keys) {
    this.kv = kv;
    this.txn = txn;
    this.keys = keys;
    this.store = new ConsulGroupStore(kv, keys);
  }

  /** Someone changed the group between our read and our write. */
  public static final class PushConflictException extends RuntimeException {
    public PushConflictException(String m) {
      super(m);
    }
  }

  /**
   * Pushes an overlay as the next revision. {@code configs}: VM configs to validate the merge
   * against (every one must give a valid config). {@code expectedBase}: the revision the operator
   * based it on (refused if another is in place).
   */
  public Desired push(
      byte[] overlay, RolloutPolicy policy, List<byte[]> configs, OptionalLong expectedBase) {
    ConfigOverlay.check(overlay); // refused keys, hostile YAML: SpecException, exit 3
    for (byte[] c : configs) ConfigOverlay.apply(c, overlay);
    List<String> problems = policy.problems();
    if (!problems.isEmpty()) throw new SpecException("policy", String.join("; ", problems));
    Optional<KvApi.KvPair> cur = store.desiredPair();
    long base = cur.map(p -> Desired.fromJson(p.value()).revision()).orElse(0L);
    if (expectedBase.isPresent() && expectedBase.getAsLong() != base)
      throw new PushConflictException(
          "someone pushed first: group "
              + keys.group()
              + " is at revision "
              + base
              + ", not "
              + expectedBase.getAsLong()
              + "; look with fleet status and push again");
    // numbered above anything a VM reports or a revision key holds: after a snapshot restore the
    // desired key may be older than what VMs already ran, and they never start an older number
    long next = Math.max(base, highestSeen()) + 1;
    Desired d =
        new Desired(
            next,
            new String(overlay, StandardCharsets.UTF_8),
            policy,
            Instant.now().toString(),
            base);
    byte[] doc = d.toJson();
    long modify = cur.map(KvApi.KvPair::modifyIndex).orElse(0L);
    List<TxnApi.Op> ops = new ArrayList<>();
    ops.add(
        modify == 0
            ? TxnApi.Op.checkNotExists(keys.desired())
            : TxnApi.Op.checkIndex(keys.desired(), modify));
    ops.add(TxnApi.Op.set(keys.desired(), doc));
    ops.add(TxnApi.Op.set(keys.revision(d.revision()), doc));
    TxnApi.Result r = call(() -> txn.apply(ops));
    if (!r.committed())
      throw new PushConflictException(
          "someone pushed first: group "
              + keys.group()
              + " changed while pushing revision "
              + d.revision()
              + " ("
              + String.join("; ", r.errors())
              + "); look with fleet status and push again");
    return d;
  }

  private long highestSeen() {
    long max = 0;
    for (NodeReport r : store.reports()) max = Math.max(max, r.revision());
    for (String k : call(() -> kv.keys(keys.revisions(), "/", ConsulQuery.NONE))) {
      try {
        max = Math.max(max, Long.parseLong(k.substring(keys.revisions().length())));
      } catch (NumberFormatException | IndexOutOfBoundsException e) {
        // not one of ours
      }
    }
    return max;
  }

  /** Pushes revision N's overlay and policy again as a new revision (default: the one before). */
  public Desired rollback(OptionalLong to) {
    Optional<KvApi.KvPair> cur = store.desiredPair();
    if (cur.isEmpty())
      throw new IllegalStateException("group " + keys.group() + " has no revision to roll back");
    long now = Desired.fromJson(cur.get().value()).revision();
    long target = to.orElse(now - 1);
    if (target < 1 || target >= now)
      throw new IllegalArgumentException(
          "--to must name an earlier revision (1 to " + (now - 1) + "), got " + target);
    Desired old =
        store
            .revision(target)
            .orElseThrow(() -> new IllegalStateException("revision " + target + " is not stored"));
    return push(
        old.overlay().getBytes(StandardCharsets.UTF_8),
        old.policy(),
        List.of(),
        OptionalLong.of(now));
  }

  public boolean pause(boolean paused) {
    return store.updateControl(c -> c.paused() == paused ? null : c.withPaused(paused));
  }

  /** Promotes the current revision past its canaries. */
  public long promote() {
    GroupView v = store.read(0, Duration.ZERO);
    long rev =
        v.desired()
            .map(Desired::revision)
            .orElseThrow(
                () -> new IllegalStateException("group " + keys.group() + " has no revision"));
    store.promote(rev);
    return rev;
  }

  /** What fleet status shows. */
  public record Status(
      String group,
      Optional<Desired> desired,
      Control control,
      GroupView.Canaries canaries,
      List<NodeReport> nodes,
      int slotsHeld) {}

  public Status status() {
    GroupView v = store.read(0, Duration.ZERO);
    List<NodeReport> nodes = store.reports();
    int held = 0;
    Optional<KvApi.KvPair> lock =
        call(() -> kv.get(keys.lock() + ".lock", ConsulQuery.NONE)).first();
    if (lock.isPresent()) {
      try {
        held = ConsulSemaphore.Lock.parse(lock.get(), keys.lock() + ".lock").holders().size();
      } catch (FleetUnavailableException e) {
        held = -1;
      }
    }
    return new Status(keys.group(), v.desired(), v.control(), v.canaries(), nodes, held);
  }

  /** The groups under a prefix. */
  public static List<String> groups(KvApi kv, String prefix) {
    List<String> out = new ArrayList<>();
    String root = FleetKeys.groups(prefix);
    for (String k : call(() -> kv.keys(root, "/", ConsulQuery.NONE))) {
      String rest = k.substring(root.length());
      if (rest.endsWith("/")) out.add(rest.substring(0, rest.length() - 1));
    }
    return out;
  }

  private static <T> T call(Supplier<T> s) {
    try {
      return s.get();
    } catch (ConsulException e) {
      throw e; // the operator sees Consul's own typed failure (exit code by kind)
    }
  }
}
