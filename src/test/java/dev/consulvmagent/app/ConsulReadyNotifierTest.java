package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.consulvmagent.consul.AgentApi;
import dev.consulvmagent.consul.AgentWait;
import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Notifier;
import dev.consulvmagent.render.UnitNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** apply waits for Consul's HTTP API (not READY) before the steps that need it. */
class ConsulReadyNotifierTest {
  private final List<String> log = new CopyOnWriteArrayList<>();
  private final AtomicInteger hits = new AtomicInteger();
  private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
  private HttpServer server;
  private final int port = freePort();

  private final Notifier delegate =
      ns -> {
        for (Notification n : ns) log.add(n.describe() + " (api hits so far: " + hits.get() + ")");
        return ns.stream().map(Notification::describe).toList();
      };

  @AfterEach
  void stop() {
    later.shutdownNow();
    if (server != null) server.stop(0);
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** /v1/status/leader as a lone server answers before its election: 200 with "" (real 1.8.7). */
  private void answerAfter(long millis) {
    later.schedule(
        () -> {
          server =
              HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
          server.createContext(
              "/v1/status/leader",
              x -> {
                hits.incrementAndGet();
                byte[] b = "\"\"".getBytes(StandardCharsets.UTF_8);
                x.sendResponseHeaders(200, b.length);
                x.getResponseBody().write(b);
                x.close();
              });
          server.start();
          return null;
        },
        millis,
        TimeUnit.MILLISECONDS);
  }

  private ConsulReadyNotifier notifier(boolean live, boolean active, Duration timeout) {
    String url = "http://127.0.0.1:" + port;
    AgentWait w =
        new AgentWait(
            new AgentApi(new ConsulHttp(ConsulEndpoint.of(url), Duration.ofSeconds(1))),
            url,
            EventSink.NONE,
            Duration.ofMillis(50));
    return new ConsulReadyNotifier(delegate, live, w, () -> active, timeout);
  }

  @Test
  void startThenReload_waitsForTheHttpApi_betweenThem() {
    answerAfter(700);
    List<String> lines =
        notifier(true, true, Duration.ofSeconds(20))
            .run(List.of(Notification.start("consul.service"), UnitNames.consulReload()));
    assertThat(lines).containsExactly("start consul.service", "consul reload");
    assertThat(log.get(0)).endsWith("(api hits so far: 0)");
    assertThat(log.get(1)).doesNotEndWith("(api hits so far: 0)");
  }

  @Test
  void reloadOfAConsulStartedByBoot_waitsForItsApi() {
    answerAfter(500);
    notifier(true, true, Duration.ofSeconds(20)).run(List.of(UnitNames.consulReload()));
    assertThat(log).singleElement().asString().doesNotEndWith("(api hits so far: 0)");
  }

  @Test
  void apiThatNeverAnswers_failsWithAClearMessage_notAHang() {
    long t0 = System.nanoTime();
    assertThatThrownBy(
            () ->
                notifier(true, true, Duration.ofSeconds(1))
                    .run(List.of(Notification.start("consul.service"))))
        .hasMessageContaining(
            "gave up after 1s waiting for the Consul HTTP API at http://127.0.0.1:" + port)
        .hasMessageContaining("journalctl -u consul.service");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void restartOfAConsulThatIsNotRunning_doesNotWait() {
    // a baked image's first boot: consul.service waits (After=) for the apply that restarts it;
    // systemctl try-restart starts nothing, and waiting for its API would hang boot for 90 s
    long t0 = System.nanoTime();
    notifier(true, false, Duration.ofSeconds(30))
        .run(List.of(Notification.restart("consul.service"), UnitNames.consulReload()));
    assertThat(log).hasSize(2);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void reloadWhileConsulIsStopped_orUnderRoot_doesNotWait() {
    notifier(true, false, Duration.ofSeconds(30)).run(List.of(UnitNames.consulReload()));
    notifier(false, true, Duration.ofSeconds(30))
        .run(List.of(Notification.start("consul.service"), UnitNames.consulReload()));
    assertThat(log).hasSize(3);
  }
}
