package dev.consulvmagent.fleet;

import dev.consulvmagent.consul.ConsulException;
import dev.consulvmagent.consul.ConsulQuery;
import dev.consulvmagent.consul.KvApi;
import dev.consulvmagent.consul.SessionApi;
import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Consul's semaphore recipe with its exact layout (hashicorp/consul api/semaphore.go, the one
 * {@code consul lock -n N PREFIX} uses), so its holders and ours count against one limit:
 *
 * <ul>
 *   <li>a session with a TTL (15s, as DefaultSemaphoreSessionTTL) and behavior {@code delete},
 *       renewed every TTL/2;
 *   <li>the contender key {@code PREFIX/<session>}, acquired by that session, flags {@value
 *       #FLAGS_HEX};
 *   <li>{@code PREFIX/.lock} = {@code {"Limit": N, "Holders": {"<session>": true}}}, same flags,
 *       changed only by check-and-set;
 *   <li>holders whose contender key is gone (their session was invalidated: up to 2 × TTL after the
 *       holder died, agent/consul/session_ttl.go) are pruned before counting.
 * </ul>
 *
 * One difference: Consul refuses a {@code .lock} whose Limit differs from its own ("Semaphore limit
 * conflict"); a rollout's max_parallel may change between revisions, so we wait while holders with
 * another limit remain and take over the Limit only when none are left.
 *
 * <p>How we wait differs from api/semaphore.go (same keys, same check-and-set, so the two still
 * exclude each other; a {@code consul lock -n} contender ahead of us does not touch its key when it
 * takes a slot, which a deep waiter then notices at its next re-read, within 2 × TTL). Its Acquire
 * makes a session and contender key per call and loops on a blocking {@code kv.List(prefix)}
 * (WaitTime 15s): any change under the prefix (a contender arriving or leaving, every .lock write)
 * wakes every waiter, each re-reads all contender keys, and each one that sees a free place tries
 * the check-and-set; the losers read again at once. With 200 waiters that is 200 list reads of ~200
 * keys and up to 200 Raft writes per released slot, which was our ~7 s slot turn under load. Here:
 *
 * <ul>
 *   <li>a waiter keeps one session and contender key across {@link #acquire} calls (until it takes
 *       a slot or {@link #withdraw}s), so the prefix does not churn while it waits;
 *   <li>the first {@code Limit} waiters in the queue block on {@code .lock} alone (a single-key GET
 *       answers with that key's ModifyIndex and wakes only when it changes:
 *       agent/consul/kvs_endpoint.go Get), so a release — its check-and-set on .lock — wakes them,
 *       and nothing else does;
 *   <li>a waiter deeper in the queue blocks on the contender key of the one {@code Limit} places
 *       ahead of it (as ZooKeeper's lock recipe watches only its predecessor): that one re-acquires
 *       its own key when it takes a slot (Consul bumps the ModifyIndex), or its key goes when it
 *       leaves or dies, and only then the waiter behind it moves into the first {@code Limit}; a
 *       slot turn wakes about {@code Limit} waiters, not all of them;
 *   <li>it reads the whole prefix only when it joins, when .lock stayed the same for a whole wait
 *       (to prune dead holders: TTL/4 for the first in the queue, 2 × TTL for the rest), or when a
 *       free slot is left unclaimed; from that read it knows the live contenders queued before it
 *       (lower CreateIndex) and tries the check-and-set only when fewer of them remain than free
 *       slots: one attempt per freed slot, first come first served;
 *   <li>a slot left free for 2–3 s (whoever was first stalled, or left unseen) is tried by any
 *       waiter that sees it, so nothing wedges on a stuck contender; correctness never rests on the
 *       queue: the check-and-set alone keeps the holders at most Limit.
 * </ul>
 */
public final class ConsulSemaphore implements Slots {
  public static final long FLAGS = 0xe0f69a2baa414de0L;
  static final String FLAGS_HEX = "0xe0f69a2baa414de0";
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(15);

  /** How long a slot may stay free, unclaimed by those queued first, before anyone takes it. */
  static final Duration STALL_AFTER = Duration.ofSeconds(2);

  /** The wait on .lock while a slot is free but not our turn (then the queue is read again). */
  static final Duration STALL_CHECK = Duration.ofSeconds(1);

  private final KvApi kv;
  private final SessionApi sessions;
  private final String prefix;
  private final String name;
  private final Duration ttl;
  private final Consumer<String> log;
  private final Random random = new Random();
  private final Duration stallAfter;
  private final Set<String> dead = new HashSet<>();
  private Contender contender;

  /** prefix: the semaphore's KV prefix, ending with '/'. */
  public ConsulSemaphore(
      KvApi kv,
      SessionApi sessions,
      String prefix,
      String name,
      Duration ttl,
      Consumer<String> log) {
    this.kv = kv;
    this.sessions = sessions;
    this.prefix = prefix.endsWith("/") ? prefix : prefix + "/";
    this.name = name;
    this.ttl = ttl;
    this.log = log;
    this.stallAfter = STALL_AFTER.plusMillis(random.nextInt(1000));
  }

  public String lockKey() {
    return prefix + ".lock";
  }

  @Override
  public synchronized Optional<Slot> acquire(int limit, Duration wait) {
    if (limit < 1) throw new IllegalArgumentException("limit must be at least 1");
    Contender me = contender();
    boolean held = false;
    try {
      Instant end = Instant.now().plus(wait);
      long index = 0; // .lock's ModifyIndex as last read (0: read without blocking)
      boolean list = true; // read the whole prefix next (contenders, dead holders)
      boolean recreated = false;
      Set<String> ahead = new LinkedHashSet<>(); // live contenders queued before us
      KvApi.KvPair target = null; // the contender whose key we wait on, deep in the queue
      Instant listed = Instant.now(); // when we last read the whole prefix
      long freeAt = -1; // the .lock version at which we first saw a slot free but not ours
      Instant freeSince = Instant.MAX;
      while (true) {
        Optional<KvApi.KvPair> lockPair;
        long got;
        boolean changed = true;
        if (list) {
          KvApi.Read r = kv.list(prefix, ConsulQuery.NONE);
          String mySession = me.session();
          lockPair = r.pairs().stream().filter(p -> p.key().equals(lockKey())).findFirst();
          Optional<KvApi.KvPair> mine =
              r.pairs().stream()
                  .filter(p -> p.key().equals(prefix + mySession))
                  .filter(p -> p.session().equals(Optional.of(mySession)))
                  .findFirst();
          if (mine.isEmpty()) {
            // our session was invalidated (renewals failed for 2 x TTL): queue again, once
            drop();
            if (recreated)
              throw new FleetUnavailableException("semaphore " + prefix + ": lost our session");
            recreated = true;
            me = contender();
            continue;
          }
          Set<String> alive = new LinkedHashSet<>();
          for (KvApi.KvPair p : r.pairs()) p.session().ifPresent(alive::add);
          Lock snapshot = lock(lockPair, limit);
          // a holder without a live contender key in the same snapshot is dead for good (a
          // session ID never comes back); what api/semaphore.go's pruneDeadHolders removes
          for (String h : snapshot.holders()) if (!alive.contains(h)) dead.add(h);
          long myTurn = mine.get().createIndex();
          List<KvApi.KvPair> queue =
              r.pairs().stream()
                  .filter(p -> !p.key().equals(lockKey()) && p.session().isPresent())
                  .filter(p -> !snapshot.holders().contains(p.session().get()))
                  .filter(p -> p.createIndex() < myTurn)
                  .sorted(Comparator.comparingLong(KvApi.KvPair::createIndex))
                  .toList();
          ahead.clear();
          for (KvApi.KvPair p : queue) ahead.add(p.session().get());
          // deep in the queue: we cannot move up before the one `limit` places ahead of us has
          // taken its slot (it touches its key then) or left (its key goes)
          target = queue.size() >= limit ? queue.get(queue.size() - limit) : null;
          got = lockPair.map(KvApi.KvPair::modifyIndex).orElse(0L);
          list = false;
          listed = Instant.now();
        } else if (target != null) {
          // wait on that one contender key alone: a slot turn wakes one deep waiter, not all
          kv.get(
              target.key(),
              ConsulQuery.blocking(target.modifyIndex(), shorter(recheck(false), left(end))));
          if (!Instant.now().isBefore(end)) return Optional.empty();
          target = null;
          list = true; // it moved, left, or the wait ended: read the queue again
          continue;
        } else {
          // wait on .lock alone: a release (its check-and-set) wakes us; contenders coming and
          // going under the prefix do not
          Duration w = freeAt >= 0 ? STALL_CHECK : recheck(ahead.size() < limit);
          KvApi.Read r =
              kv.get(lockKey(), ConsulQuery.blocking(Math.max(1, index), shorter(w, left(end))));
          lockPair = r.first();
          got = lockPair.map(KvApi.KvPair::modifyIndex).orElse(r.index());
          if (got < index) { // went backwards (a snapshot restore): start over from a full read
            index = 0;
            list = true;
            continue;
          }
          changed = got != index;
        }
        Lock lock = lock(lockPair, limit);
        lock.holders().removeAll(dead);
        ahead.removeAll(lock.holders()); // they got their slot
        ahead.removeAll(dead);
        boolean limitOk = lock.limit() == limit || lock.holders().isEmpty();
        int free = limit - lock.holders().size();
        if (limitOk && free > 0) {
          if (freeAt != got) {
            freeAt = got;
            freeSince = Instant.now();
          }
          // our turn: fewer live contenders queued before us than free slots, so each freed
          // slot draws one check-and-set, not one from every waiter; a slot left free for a
          // while (the one ahead stalled or gone unseen) is taken by whoever sees it
          boolean stalled = Duration.between(freeSince, Instant.now()).compareTo(stallAfter) >= 0;
          if (ahead.size() < free || stalled) {
            lock.holders().add(me.session());
            byte[] body = new Lock(limit, lock.holders()).render();
            long cas = lockPair.map(KvApi.KvPair::modifyIndex).orElse(0L);
            if (kv.cas(lockKey(), body, cas, FLAGS)) {
              held = true;
              touch(me);
              return Optional.of(new Held(me));
            }
            // someone else changed .lock: the next blocking read on the old index returns at
            // once with the new version (no spin: it is one read, then a real wait)
            index = got;
            continue;
          }
        } else {
          freeAt = -1;
          freeSince = Instant.MAX;
          if (!limitOk)
            log.accept(
                "semaphore "
                    + prefix
                    + " has Limit "
                    + lock.limit()
                    + " held by others; waiting to use "
                    + limit);
        }
        if (!Instant.now().isBefore(end)) return Optional.empty();
        // nothing changed for a whole wait, or .lock keeps changing but we have not looked at the
        // contenders for a while: look (a dead holder is pruned only from a full read, and in a
        // busy rollout .lock changes every few hundred ms while a dead holder keeps its place)
        if (!changed || Duration.between(listed, Instant.now()).compareTo(frontRelist()) >= 0)
          list = true;
        index = got;
      }
    } catch (ConsulException e) {
      drop();
      throw new FleetUnavailableException("semaphore " + prefix + ": " + e.getMessage(), e);
    } finally {
      if (held) contender = null;
    }
  }

  /**
   * Leaves the queue: the contender key and its session go. A waiter that stops wanting a slot (a
   * newer revision, a halt, a pause) calls this, so it does not stand in front of the others.
   */
  @Override
  public synchronized void withdraw() {
    drop();
  }

  private void drop() {
    if (contender == null) return;
    Contender c = contender;
    contender = null;
    cleanup(c.session, c.renew);
  }

  /**
   * Our place in the queue, kept between acquire calls (a waiter's slot wait ends and it comes back
   * after re-reading the group's revision): one session and one contender key per waiter, not one
   * per attempt, so the prefix does not churn and our CreateIndex keeps our place.
   */
  private Contender contender() {
    if (contender != null) return contender;
    String session;
    try {
      session =
          sessions.create(
              new SessionApi.Request(
                  name,
                  Optional.empty(),
                  ttl,
                  SessionApi.Behavior.DELETE,
                  Duration.ZERO,
                  List.of()));
    } catch (ConsulException e) {
      throw new FleetUnavailableException("cannot create a session: " + e.getMessage(), e);
    }
    ScheduledExecutorService renew =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "semaphore-renew " + session.substring(0, 8));
              t.setDaemon(true);
              return t;
            });
    renew.scheduleAtFixedRate(
        () -> {
          try {
            if (!sessions.renew(session)) log.accept("semaphore session " + session + " is gone");
          } catch (ConsulException e) {
            log.accept("semaphore session renew failed: " + e.getMessage());
          }
        },
        ttl.toMillis() / 2,
        ttl.toMillis() / 2,
        TimeUnit.MILLISECONDS);
    String key = prefix + session;
    boolean made;
    try {
      made = kv.acquire(key, new byte[0], session, FLAGS);
    } catch (ConsulException e) {
      cleanup(session, renew);
      throw new FleetUnavailableException(
          "could not take the contender key " + key + ": " + e.getMessage(), e);
    }
    if (!made) {
      cleanup(session, renew);
      throw new FleetUnavailableException("could not take the contender key " + key);
    }
    contender = new Contender(session, renew);
    return contender;
  }

  private record Contender(String session, ScheduledExecutorService renew) {}

  /**
   * Re-acquires our contender key with our own session (Consul allows it and bumps the key's
   * ModifyIndex, LockIndex unchanged): wakes the waiter that waits on us, `Limit` places behind.
   * Best effort: if it fails, that waiter finds out at its next re-read.
   */
  private void touch(Contender me) {
    try {
      kv.acquire(prefix + me.session(), new byte[0], me.session(), FLAGS);
    } catch (ConsulException e) {
      log.accept("semaphore: could not mark our contender key as holding: " + e.getMessage());
    }
  }

  private Lock lock(Optional<KvApi.KvPair> p, int limit) {
    return p.map(x -> Lock.parse(x, lockKey())).orElse(new Lock(limit, new LinkedHashSet<>()));
  }

  /**
   * How long to wait on .lock while the slots are full before looking for dead holders (whose
   * contender keys vanish without .lock changing, up to 2 × TTL after their death): the first in
   * the queue look every TTL/4 (so a dead holder's slot is taken within about 2.25 × TTL), the
   * others every 2 × TTL, with jitter so they do not come together. A dead holder is not a release:
   * nothing else announces it; waking every waiter on every contender key instead (a blocking list
   * of the prefix) is what made turns slow.
   */
  private Duration recheck(boolean front) {
    long base = front ? ttl.toMillis() / 4 : ttl.toMillis() * 2;
    return Duration.ofMillis(base - random.nextLong(base / 4 + 1));
  }

  /** How often the first in the queue read the whole prefix even while .lock keeps changing. */
  private Duration frontRelist() {
    return ttl.dividedBy(4);
  }

  private static Duration shorter(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static Duration left(Instant end) {
    Duration d = Duration.between(Instant.now(), end);
    return d.isNegative() || d.isZero() ? Duration.ofMillis(1) : d;
  }

  private void cleanup(String session, ScheduledExecutorService renew) {
    renew.shutdownNow();
    try {
      kv.delete(prefix + session);
      sessions.destroy(session);
    } catch (ConsulException e) {
      log.accept("semaphore clean-up failed (" + e.getMessage() + "); the session TTL frees it");
    }
  }

  /** The .lock document. */
  record Lock(int limit, Set<String> holders) {
    static Lock parse(KvApi.KvPair p, String key) {
      if (p.flags() != FLAGS)
        throw new FleetUnavailableException(
            key + " exists but is not a semaphore (flags differ); refusing to use it");
      try {
        Map<String, Object> m = Json.parseObject(p.value());
        int limit = m.get("Limit") instanceof Number n ? n.intValue() : 0;
        Set<String> h = new LinkedHashSet<>();
        if (m.get("Holders") instanceof Map<?, ?> hm)
          for (Map.Entry<?, ?> e : hm.entrySet())
            if (Boolean.TRUE.equals(e.getValue())) h.add(String.valueOf(e.getKey()));
        return new Lock(limit, h);
      } catch (IOException e) {
        throw new FleetUnavailableException(key + " is not a semaphore lock document");
      }
    }

    byte[] render() {
      Map<String, Object> holders = new LinkedHashMap<>();
      for (String s : this.holders) holders.put(s, true);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("Limit", limit);
      m.put("Holders", holders);
      return Json.compact(m).getBytes(StandardCharsets.UTF_8);
    }
  }

  /**
   * A held slot: release removes the session from Holders (CAS), the contender key, the session.
   */
  private final class Held implements Slot {
    private final String session;
    private final ScheduledExecutorService renew;
    private boolean released;

    Held(Contender c) {
      this.session = c.session();
      this.renew = c.renew();
    }

    @Override
    public synchronized void close() {
      if (released) return;
      released = true;
      try {
        for (int i = 0; i < 20; i++) {
          KvApi.Read r = kv.get(lockKey(), ConsulQuery.NONE);
          if (r.first().isEmpty()) break;
          Lock l = Lock.parse(r.first().get(), lockKey());
          if (!l.holders().remove(session)) break;
          if (kv.cas(lockKey(), l.render(), r.first().get().modifyIndex(), FLAGS)) break;
        }
      } catch (ConsulException | FleetUnavailableException e) {
        log.accept("semaphore release: " + e.getMessage() + " (the session TTL frees the slot)");
      }
      cleanup(session, renew);
    }
  }
}
