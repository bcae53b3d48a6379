package dev.consulvmagent.consul;

import dev.consulvmagent.engine.EventSink;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Waits, with a deadline and a clear message, until Envoy can start: the agent's HTTP API answers,
 * a leader is known, and the service and its sidecar are registered.
 */
public final class SidecarWait {
  /** The wait ran out; the message says which condition was never met. */
  public static final class TimeoutException extends RuntimeException {
    public TimeoutException(String m) {
      super(m);
    }
  }

  private final AgentApi api;
  private final EventSink events;
  private final Duration timeout;
  private final Duration poll;
  private final Supplier<Long> clock;

  public SidecarWait(AgentApi api, EventSink events, Duration timeout, Duration poll) {
    this(api, events, timeout, poll, System::nanoTime);
  }

  SidecarWait(
      AgentApi api, EventSink events, Duration timeout, Duration poll, Supplier<Long> clock) {
    this.api = api;
    this.events = events;
    this.timeout = timeout;
    this.poll = poll;
    this.clock = clock;
  }

  public void await(String service) {
    long deadline = clock.get() + timeout.toNanos();
    String waitingFor = "the Consul agent HTTP API";
    String last = "";
    while (true) {
      try {
        if (api.leader().isEmpty()) {
          waitingFor =
              "a Consul leader (the agent has not joined a server yet: check retry_join and that"
                  + " the server is up)";
        } else if (!registered(service)) {
          // a token without service:read gets 200 with the services filtered out, not a 403
          // (recorded from Consul 1.8.7: acl-agent-services-no-token.json)
          waitingFor =
              "the registration of "
                  + service
                  + " and "
                  + service
                  + "-sidecar-proxy"
                  + " (is /etc/consul.d/service-registration.json loaded? try: consul reload;"
                  + " with ACLs, the token needs service:read)";
        } else {
          events.info("consul is ready: leader known, " + service + " and its sidecar registered");
          return;
        }
      } catch (ConsulException e) {
        waitingFor = "the Consul agent HTTP API (" + e.getMessage() + ")";
      }
      if (!waitingFor.equals(last)) {
        events.info("waiting for " + waitingFor);
        last = waitingFor;
      }
      if (clock.get() >= deadline) {
        throw new TimeoutException(
            "gave up after " + timeout.toSeconds() + "s waiting for " + waitingFor);
      }
      try {
        Thread.sleep(poll.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TimeoutException("interrupted while waiting for " + waitingFor);
      }
    }
  }

  private boolean registered(String service) {
    boolean svc = false;
    boolean sidecar = false;
    for (var e : api.services().entrySet()) {
      AgentApi.Service s = e.getValue();
      if (e.getKey().equals(service)) svc = true;
      if ("connect-proxy".equals(s.kind())
          && s.proxy().map(p -> service.equalsIgnoreCase(p.destinationServiceId())).orElse(false))
        sidecar = true;
    }
    return svc && sidecar;
  }
}
