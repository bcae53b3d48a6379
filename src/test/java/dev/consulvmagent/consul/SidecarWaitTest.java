package dev.consulvmagent.consul;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.junit5.WireMockRuntimeInfo;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.consulvmagent.testing.Ports;
import dev.consulvmagent.testing.Recorded;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The waits before Envoy starts, against WireMock answering only with recorded real Consul 1.8.7
 * responses (src/test/resources/recorded/consul-1.8.7/, re-checked by RecordedResponsesRealTest).
 */
class SidecarWaitTest {
  @RegisterExtension
  static WireMockExtension wiremock =
      WireMockExtension.newInstance()
          .options(WireMockConfiguration.options().dynamicPort())
          .build();

  WireMockRuntimeInfo wm;
  final List<String> log = new ArrayList<>();

  @BeforeEach
  void start() {
    wm = wiremock.getRuntimeInfo();
  }

  private SidecarWait waiter(Duration timeout) {
    return waiter(wm.getHttpBaseUrl(), timeout);
  }

  private SidecarWait waiter(String url, Duration timeout) {
    return new SidecarWait(
        new AgentApi(new ConsulHttp(ConsulEndpoint.of(url), Duration.ofSeconds(1))),
        e -> log.add(e.text()),
        timeout,
        Duration.ofMillis(20));
  }

  @Test
  void notJoinedYet_thenLeaderElected_thenRegistrationAppearsLate_waitsThroughEach() {
    wiremock.stubFor(
        get("/v1/status/leader")
            .inScenario("s")
            .whenScenarioStateIs(Scenario.STARTED)
            .willReturn(Recorded.load("status-leader-no-known-servers").response())
            .willSetStateTo("no-leader"));
    wiremock.stubFor(
        get("/v1/status/leader")
            .inScenario("s")
            .whenScenarioStateIs("no-leader")
            .willReturn(Recorded.load("status-leader-no-quorum").response())
            .willSetStateTo("leader"));
    wiremock.stubFor(
        get("/v1/status/leader")
            .inScenario("s")
            .whenScenarioStateIs("leader")
            .willReturn(Recorded.load("status-leader").response()));
    wiremock.stubFor(
        get("/v1/agent/services")
            .inScenario("r")
            .whenScenarioStateIs(Scenario.STARTED)
            .willReturn(Recorded.load("agent-services-empty").response())
            .willSetStateTo("registered"));
    wiremock.stubFor(
        get("/v1/agent/services")
            .inScenario("r")
            .whenScenarioStateIs("registered")
            .willReturn(Recorded.load("agent-services").response()));
    waiter(Duration.ofSeconds(5)).await("web");
    assertThat(log)
        .anyMatch(l -> l.contains("waiting for a Consul leader"))
        .anyMatch(l -> l.contains("waiting for the registration of web"))
        .last()
        .asString()
        .contains("consul is ready");
  }

  @Test
  void agentDown_timesOutNamingTheAgent() {
    String url = Ports.nothingListening();
    assertThatThrownBy(() -> waiter(url, Duration.ofMillis(300)).await("web"))
        .isInstanceOf(SidecarWait.TimeoutException.class)
        .hasMessageContaining("gave up after")
        .hasMessageContaining("the Consul agent HTTP API");
  }

  @Test
  void neverJoins_timesOutSayingWhatToCheck() {
    wiremock.stubFor(
        get("/v1/status/leader")
            .willReturn(Recorded.load("status-leader-no-known-servers").response()));
    assertThatThrownBy(() -> waiter(Duration.ofMillis(300)).await("web"))
        .isInstanceOf(SidecarWait.TimeoutException.class)
        .hasMessageContaining("a Consul leader")
        .hasMessageContaining("retry_join");
  }

  @Test
  void sidecarOfAnotherService_doesNotCount() {
    wiremock.stubFor(
        get("/v1/status/leader").willReturn(Recorded.load("status-leader").response()));
    // recorded: web registered without a sidecar, api with its own
    wiremock.stubFor(
        get("/v1/agent/services")
            .willReturn(Recorded.load("agent-services-sidecar-of-another-service").response()));
    assertThatThrownBy(() -> waiter(Duration.ofMillis(300)).await("web"))
        .hasMessageContaining("registration of web");
  }
}
