package dev.consulvmagent.app;

import dev.consulvmagent.consul.AgentApi;
import dev.consulvmagent.consul.AgentWait;
import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Notifier;
import dev.consulvmagent.systemd.SystemdNotifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Runs notifications one by one and, on a live host, waits for the local Consul HTTP API before the
 * step that needs it: {@code consul reload} (it talks to that API), also right after consul.service
 * was (re)started. consul.service is Type=exec, so "started" means only that the binary runs; a
 * leader is not needed by any of apply's steps (Envoy's sidecar-wait waits for one).
 */
final class ConsulReadyNotifier implements Notifier {
  static final String UNIT = "consul.service";
  static final Duration TIMEOUT = Duration.ofSeconds(90);
  private final Notifier delegate;
  private final boolean live;
  private final Supplier<AgentWait> wait;
  private final BooleanSupplier consulActive;
  private final Duration timeout;

  /**
   * For a live host: the real systemd notifier, and the command's endpoint. Its HTTP client is
   * built on the first wait only: a run that starts nothing (the no-op) never loads the HTTP stack.
   */
  static Notifier live(
      SystemdNotifier systemd, boolean live, ConsulEndpoint endpoint, EventSink events) {
    Supplier<AgentWait> w =
        new Supplier<>() {
          private AgentWait built;

          @Override
          public AgentWait get() {
            if (built == null) {
              built =
                  new AgentWait(
                      new AgentApi(new ConsulHttp(endpoint, Duration.ofSeconds(2))),
                      endpoint.display(),
                      events,
                      Duration.ofMillis(250));
            }
            return built;
          }
        };
    return new ConsulReadyNotifier(systemd, live, w, () -> systemd.isActive(UNIT), TIMEOUT);
  }

  ConsulReadyNotifier(
      Notifier delegate,
      boolean live,
      AgentWait wait,
      BooleanSupplier consulActive,
      Duration timeout) {
    this(delegate, live, () -> wait, consulActive, timeout);
  }

  private ConsulReadyNotifier(
      Notifier delegate,
      boolean live,
      Supplier<AgentWait> wait,
      BooleanSupplier consulActive,
      Duration timeout) {
    this.timeout = timeout;
    this.delegate = delegate;
    this.live = live;
    this.wait = wait;
    this.consulActive = consulActive;
  }

  @Override
  public List<String> run(List<Notification> notifications) {
    List<String> lines = new ArrayList<>();
    boolean started = false;
    for (Notification n : notifications) {
      boolean consulStart =
          UNIT.equals(n.target())
              && (n.kind() == Notification.Kind.START || n.kind() == Notification.Kind.RESTART);
      if (live && n.kind() == Notification.Kind.RELOAD && UNIT.equals(n.target()) && !started)
        waitIfRunning(lines);
      lines.addAll(delegate.run(List.of(n)));
      // try-restart of a Consul that is not running (a baked image's first boot: consul.service
      // waits for the instance's apply) starts nothing: then there is no API to wait for
      if (live && consulStart && consulActive.getAsBoolean()) {
        wait.get().httpApi(timeout);
        started = true;
      }
    }
    return lines;
  }

  /** Before a reload: a running Consul may have been started just now (by boot): wait for it. */
  private void waitIfRunning(List<String> lines) {
    if (consulActive.getAsBoolean()) wait.get().httpApi(timeout);
  }
}
