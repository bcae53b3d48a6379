package dev.consulvmagent.consul;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.junit5.WireMockRuntimeInfo;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The waits before Envoy starts, against WireMock answering with Consul 1.16's real shapes. */
class SidecarWaitTest {
  @RegisterExtension
  static WireMockExtension wiremock = WireMockExtension.newInstance().options(WireMockConfiguration.options().dynamicPort()).build();

  WireMockRuntimeInfo wm;
  final List<String> log = new ArrayList<>();

  static final String SERVICES = """
      {"web": {"ID": "web", "Service": "web", "Port": 8080, "Kind": ""},
       "web-sidecar-proxy": {"ID": "web-sidecar-proxy", "Service": "web-sidecar-proxy", "Kind": "connect-proxy", "Port": 21000,
         "Proxy": {"DestinationServiceName": "web", "DestinationServiceID": "web", "Mode": "transparent"}}}
      """;

  @BeforeEach
  void start() {
    wm = wiremock.getRuntimeInfo();
  }

  private SidecarWait waiter(Duration timeout) {
    return waiter(wm.getHttpBaseUrl(), timeout);
  }

  private SidecarWait waiter(String url, Duration timeout) {
    return new SidecarWait(new ConsulApi(url, Optional.empty(), Duration.ofSeconds(1)), e -> log.add(e.text()), timeout, Duration.ofMillis(20));
  }

  @Test
  void notJoinedYet_thenLeaderElected_thenRegistrationAppearsLate_waitsThroughEach() {
    wiremock.stubFor(get("/v1/status/leader").inScenario("s").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(500).withBody("No known Consul servers")).willSetStateTo("no-leader"));
    wiremock.stubFor(get("/v1/status/leader").inScenario("s").whenScenarioStateIs("no-leader")
        .willReturn(aResponse().withBody("\"\"")).willSetStateTo("leader"));
    wiremock.stubFor(get("/v1/status/leader").inScenario("s").whenScenarioStateIs("leader")
        .willReturn(aResponse().withBody("\"192.0.2.10:8300\"")));
    wiremock.stubFor(get("/v1/agent/services").inScenario("r").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withBody("{}")).willSetStateTo("registered"));
    wiremock.stubFor(get("/v1/agent/services").inScenario("r").whenScenarioStateIs("registered").willReturn(aResponse().withBody(SERVICES)));
    waiter(Duration.ofSeconds(5)).await("web");
    assertThat(log).anyMatch(l -> l.contains("waiting for a Consul leader"))
        .anyMatch(l -> l.contains("waiting for the registration of web"))
        .last().asString().contains("consul is ready");
  }

  @Test
  void agentDown_timesOutNamingTheAgent() {
    String url = dev.consulvmagent.testing.Ports.nothingListening();
    assertThatThrownBy(() -> waiter(url, Duration.ofMillis(300)).await("web"))
        .isInstanceOf(SidecarWait.TimeoutException.class)
        .hasMessageContaining("gave up after")
        .hasMessageContaining("the Consul agent HTTP API");
  }

  @Test
  void neverJoins_timesOutSayingWhatToCheck() {
    wiremock.stubFor(get("/v1/status/leader").willReturn(aResponse().withStatus(500).withBody("No known Consul servers")));
    assertThatThrownBy(() -> waiter(Duration.ofMillis(300)).await("web"))
        .isInstanceOf(SidecarWait.TimeoutException.class)
        .hasMessageContaining("a Consul leader")
        .hasMessageContaining("retry_join");
  }

  @Test
  void sidecarOfAnotherService_doesNotCount() {
    wiremock.stubFor(get("/v1/status/leader").willReturn(aResponse().withBody("\"192.0.2.10:8300\"")));
    wiremock.stubFor(get("/v1/agent/services").willReturn(aResponse().withBody(SERVICES.replace("\"DestinationServiceID\": \"web\"", "\"DestinationServiceID\": \"api\""))));
    assertThatThrownBy(() -> waiter(Duration.ofMillis(300)).await("web")).hasMessageContaining("registration of web");
  }
}
