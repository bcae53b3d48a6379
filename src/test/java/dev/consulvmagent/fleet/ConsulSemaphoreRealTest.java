package dev.consulvmagent.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.ConsulQuery;
import dev.consulvmagent.consul.KvApi;
import dev.consulvmagent.consul.SessionApi;
import dev.consulvmagent.testing.RealConsul;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our semaphore against a REAL Consul 1.8.7 and its own {@code consul lock -n}: they share one
 * limit (same layout: api/semaphore.go), and a holder that dies frees its slot once its session is
 * invalidated (TTL, up to 2 × TTL).
 */
class ConsulSemaphoreRealTest {
  @TempDir static Path tmp;
  static RealConsul agent;
  static ConsulHttp http;

  @BeforeAll
  static void start() {
    agent = RealConsul.dev(tmp, c -> {});
    agent.awaitLeader();
    http = new ConsulHttp(ConsulEndpoint.of(agent.httpAddr()), Duration.ofSeconds(10));
  }

  @AfterAll
  static void stop() {
    if (agent != null) agent.close();
  }

  static ConsulSemaphore sem(String prefix) {
    return new ConsulSemaphore(
        new KvApi(http), new SessionApi(http), prefix, "test", Duration.ofSeconds(10), s -> {});
  }

  /** `consul lock -n N PREFIX sleep 600`, in the background; returns the process. */
  static Process consulLock(String prefix, int n) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(
                RealConsul.BINARY.toString(),
                "lock",
                "-http-addr=" + agent.httpAddr(),
                "-n=" + n,
                prefix,
                "sleep",
                "600")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("lock-" + System.nanoTime() + ".log").toFile());
    pb.environment().remove("CONSUL_HTTP_TOKEN");
    return pb.start();
  }

  static int holders(String prefix) throws IOException {
    Optional<KvApi.KvPair> p = new KvApi(http).get(prefix + "/.lock", ConsulQuery.NONE).first();
    if (p.isEmpty()) return 0;
    assertThat(p.get().flags()).isEqualTo(ConsulSemaphore.FLAGS);
    String json = new String(p.get().value(), StandardCharsets.UTF_8);
    return json.split("true", -1).length - 1;
  }

  @Test
  void ourSlotsAndConsulLockN_excludeEachOther() throws Exception {
    String prefix = "consul-vm-agent/groups/t1/lock";
    Process theirs = consulLock(prefix, 2);
    try {
      agent.waitUntil(
          "consul lock to hold a slot",
          Duration.ofSeconds(20),
          () -> {
            try {
              return holders(prefix) == 1;
            } catch (IOException e) {
              return false;
            }
          });
      Optional<Slots.Slot> mine = sem(prefix + "/").acquire(2, Duration.ofSeconds(5));
      assertThat(mine).isPresent();
      assertThat(holders(prefix)).isEqualTo(2);
      // the semaphore is full: neither we nor consul lock get a third
      assertThat(sem(prefix + "/").acquire(2, Duration.ofSeconds(2))).isEmpty();
      Process third = consulLock(prefix, 2);
      try {
        assertThat(third.waitFor(3, TimeUnit.SECONDS)).isFalse(); // still waiting
        assertThat(holders(prefix)).isEqualTo(2);
        mine.get().close(); // our release lets consul lock in
        agent.waitUntil(
            "the waiting consul lock to take the freed slot",
            Duration.ofSeconds(20),
            () -> {
              try {
                return holders(prefix) == 2;
              } catch (IOException e) {
                return false;
              }
            });
      } finally {
        third.destroy();
      }
    } finally {
      theirs.destroy();
      theirs.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aKilledHolder_freesItsSlotWithinTwiceTheTtl_andAWaiterTakesIt() throws Exception {
    String prefix = "consul-vm-agent/groups/t2/lock";
    // -n 1 would be Consul's plain lock (api/lock.go), not the semaphore: use 2 places, one held
    // by us throughout, one by consul lock -n 2, killed with SIGKILL (it cannot release anything)
    Optional<Slots.Slot> ours = sem(prefix + "/").acquire(2, Duration.ofSeconds(5));
    assertThat(ours).isPresent();
    Process holder = consulLock(prefix, 2);
    agent.waitUntil(
        "consul lock to hold the other slot",
        Duration.ofSeconds(20),
        () -> {
          try {
            return holders(prefix) == 2; // ours and consul lock's: full
          } catch (IOException e) {
            return false;
          }
        });
    List<ProcessHandle> tree = new ArrayList<>(holder.descendants().toList());
    holder.destroyForcibly();
    tree.forEach(ProcessHandle::destroyForcibly);
    long killed = System.nanoTime();
    // consul lock's session has Consul's semaphore TTL (15s): freed within 2 x 15s, plus our wait
    Optional<Slots.Slot> mine = sem(prefix + "/").acquire(2, Duration.ofSeconds(45));
    double took = (System.nanoTime() - killed) / 1e9;
    System.out.println("FLEET-BENCH killed holder freed after " + took + " s");
    assertThat(mine).as("slot taken after the holder's death").isPresent();
    assertThat(took).isLessThan(2 * 15 + 5);
    assertThat(holders(prefix)).isEqualTo(2);
    mine.get().close();
    ours.get().close();
    assertThat(holders(prefix)).isZero();
    assertThat(new KvApi(http).list(prefix + "/", ConsulQuery.NONE).pairs())
        .extracting(KvApi.KvPair::key)
        .containsExactly(prefix + "/.lock"); // our contender key is gone with our session
  }

  static List<String> contenders(String prefix) {
    List<String> out = new ArrayList<>();
    for (KvApi.KvPair p : new KvApi(http).list(prefix + "/", ConsulQuery.NONE).pairs())
      if (!p.key().endsWith("/.lock")) out.add(p.key());
    return out;
  }

  /**
   * Waiters keep one contender key across slot waits (no churn under the prefix that would wake
   * everyone), and a released slot goes to the one queued first (lowest CreateIndex): one
   * check-and-set per freed slot instead of one from every waiter (Consul's own Acquire loops on a
   * blocking list of the whole prefix: api/semaphore.go).
   */
  @Test
  void waitersQueueInOrder_andKeepTheirPlaceAcrossSlotWaits() throws Exception {
    String prefix = "consul-vm-agent/groups/t3/lock";
    Optional<Slots.Slot> first = sem(prefix + "/").acquire(1, Duration.ofSeconds(5));
    assertThat(first).isPresent();
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    List<Thread> waiters = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String name = "w" + i;
      ConsulSemaphore s = sem(prefix + "/");
      Thread t =
          new Thread(
              () -> {
                // like the watcher: a short slot wait, then back again, until it has one
                while (true) {
                  Optional<Slots.Slot> slot = s.acquire(1, Duration.ofSeconds(1));
                  if (slot.isPresent()) {
                    order.add(name);
                    slot.get().close();
                    return;
                  }
                }
              });
      t.setDaemon(true);
      t.start();
      waiters.add(t);
      int joined = i + 1;
      agent.waitUntil(
          name + " to queue",
          Duration.ofSeconds(20),
          () -> contenders(prefix).size() == joined + 1);
    }
    List<String> queued = contenders(prefix);
    Thread.sleep(3000); // three slot waits have ended and begun again
    assertThat(contenders(prefix)).as("the same contender keys").isEqualTo(queued);
    assertThat(order).isEmpty();
    first.get().close();
    for (Thread t : waiters) t.join(60_000);
    assertThat(order).containsExactly("w0", "w1", "w2", "w3");
    assertThat(holders(prefix)).isZero();
    assertThat(contenders(prefix)).isEmpty();
  }

  @Test
  void aWaiterThatWithdraws_leavesTheQueue() throws Exception {
    String prefix = "consul-vm-agent/groups/t4/lock";
    Optional<Slots.Slot> held = sem(prefix + "/").acquire(1, Duration.ofSeconds(5));
    ConsulSemaphore waiter =
        new ConsulSemaphore(
            new KvApi(http),
            new SessionApi(http),
            prefix + "/",
            "t4",
            Duration.ofSeconds(10),
            s -> {});
    assertThat(waiter.acquire(1, Duration.ofSeconds(1))).isEmpty();
    assertThat(contenders(prefix)).hasSize(2);
    assertThat(new SessionApi(http).list()).extracting(SessionApi.Info::name).contains("t4");
    waiter.withdraw();
    assertThat(contenders(prefix)).hasSize(1);
    assertThat(new SessionApi(http).list()).extracting(SessionApi.Info::name).doesNotContain("t4");
    held.get().close();
    assertThat(contenders(prefix)).isEmpty();
  }
}
