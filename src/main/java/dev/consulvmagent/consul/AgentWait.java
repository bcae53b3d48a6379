package dev.consulvmagent.consul;

import dev.consulvmagent.engine.EventSink;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Waits, with a deadline and a clear message, for what a step after starting Consul needs: the
 * local agent's HTTP API answering, and where a step needs it, a known leader. Never for systemd
 * READY: a lone server never sends it (Consul notifies only after a LAN join, hashicorp/consul PR
 * #3164; issues #18097, #7137, #4380; measured with the real 1.8.7).
 */
public final class AgentWait {
  private final AgentApi api;
  private final String where;
  private final EventSink events;
  private final Duration poll;
  private final Supplier<Long> clock;

  public AgentWait(AgentApi api, String where, EventSink events, Duration poll) {
    this(api, where, events, poll, System::nanoTime);
  }

  AgentWait(AgentApi api, String where, EventSink events, Duration poll, Supplier<Long> clock) {
    this.api = api;
    this.where = where;
    this.events = events;
    this.poll = poll;
    this.clock = clock;
  }

  /** Until /v1/status/leader answers at all (200, or 500 "No known Consul servers"). */
  public void httpApi(Duration timeout) {
    until(
        timeout,
        "the Consul HTTP API at " + where + " to answer",
        () -> {
          api.leader();
          return true;
        });
  }

  /** Until a leader is known; returns its address. */
  public String leader(Duration timeout) {
    String[] found = new String[1];
    until(
        timeout,
        "a Consul leader (via "
            + where
            + "; a client needs a reachable server in retry_join,"
            + " servers need bootstrap_expect of them up)",
        () -> {
          Optional<String> l = api.leader();
          l.ifPresent(v -> found[0] = v);
          return l.isPresent();
        });
    return found[0];
  }

  private void until(Duration timeout, String what, Supplier<Boolean> ready) {
    long deadline = clock.get() + timeout.toNanos();
    boolean said = false;
    String last = "";
    while (true) {
      try {
        if (ready.get()) return;
      } catch (ConsulException e) {
        last = " (last: " + e.getMessage() + ")";
      }
      if (!said) {
        events.info("waiting for " + what);
        said = true;
      }
      if (clock.get() >= deadline) {
        throw new SidecarWait.TimeoutException(
            "gave up after "
                + timeout.toSeconds()
                + "s waiting for "
                + what
                + last
                + "; see: journalctl -u consul.service");
      }
      try {
        Thread.sleep(poll.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SidecarWait.TimeoutException("interrupted while waiting for " + what);
      }
    }
  }
}
