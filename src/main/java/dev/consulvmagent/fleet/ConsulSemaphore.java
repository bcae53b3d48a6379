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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 */
public final class ConsulSemaphore implements Slots {
  public static final long FLAGS = 0xe0f69a2baa414de0L;
  static final String FLAGS_HEX = "0xe0f69a2baa414de0";
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(15);

  private final KvApi kv;
  private final SessionApi sessions;
  private final String prefix;
  private final String name;
  private final Duration ttl;
  private final Consumer<String> log;

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
  }

  public String lockKey() {
    return prefix + ".lock";
  }

  @Override
  public Optional<Slot> acquire(int limit, Duration wait) {
    if (limit < 1) throw new IllegalArgumentException("limit must be at least 1");
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
    boolean held = false;
    try {
      String contender = prefix + session;
      if (!kv.acquire(contender, new byte[0], session, FLAGS))
        throw new FleetUnavailableException("could not take the contender key " + contender);
      Instant end = Instant.now().plus(wait);
      long index = 0;
      while (true) {
        KvApi.Read r =
            kv.list(prefix, ConsulQuery.blocking(index, BlockingIndex.clampWait(left(end))));
        Optional<KvApi.KvPair> lockPair =
            r.pairs().stream().filter(p -> p.key().equals(lockKey())).findFirst();
        Lock lock =
            lockPair
                .map(p -> Lock.parse(p, lockKey()))
                .orElse(new Lock(limit, new LinkedHashSet<>()));
        // prune holders whose contender key no longer holds their session
        Set<String> alive = new LinkedHashSet<>();
        for (KvApi.KvPair p : r.pairs()) p.session().ifPresent(alive::add);
        lock.holders().retainAll(alive);
        boolean limitOk = lock.limit() == limit || lock.holders().isEmpty();
        if (limitOk && lock.holders().size() < limit) {
          lock.holders().add(session);
          byte[] body = new Lock(limit, lock.holders()).render();
          long cas = lockPair.map(KvApi.KvPair::modifyIndex).orElse(0L);
          if (kv.cas(lockKey(), body, cas, FLAGS)) {
            held = true;
            return Optional.of(new Held(session, renew));
          }
          index = 0; // someone else changed it: look again at once
          continue;
        }
        if (!limitOk)
          log.accept(
              "semaphore "
                  + prefix
                  + " has Limit "
                  + lock.limit()
                  + " held by others; waiting to use "
                  + limit);
        if (!Instant.now().isBefore(end)) return Optional.empty();
        index = r.index() < index ? 0 : Math.max(1, r.index());
      }
    } catch (ConsulException e) {
      throw new FleetUnavailableException("semaphore " + prefix + ": " + e.getMessage(), e);
    } finally {
      if (!held) cleanup(session, renew);
    }
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

    Held(String session, ScheduledExecutorService renew) {
      this.session = session;
      this.renew = renew;
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
