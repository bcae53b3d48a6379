package dev.consulvmagent.consul;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.junit5.WireMockRuntimeInfo;
import dev.consulvmagent.app.Doctor;
import dev.consulvmagent.iptables.Iptables;
import dev.consulvmagent.iptables.RedirectConfig;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.testing.Netns;
import dev.consulvmagent.testing.Ports;
import dev.consulvmagent.testing.Recorded;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * status verdicts for Consul states (WireMock answering only with recorded real Consul 1.8.7
 * responses, src/test/resources/recorded/consul-1.8.7/) and for drifted rules (a real namespace).
 */
class DoctorTest {
  @RegisterExtension
  static WireMockExtension wiremock =
      WireMockExtension.newInstance()
          .options(WireMockConfiguration.options().dynamicPort())
          .build();

  WireMockRuntimeInfo wm;
  static final MeshService WEB =
      ServiceConfig.parse("{\"name\": \"web\", \"port\": 8080}".getBytes(), "").mesh();

  @BeforeEach
  void start() {
    wm = wiremock.getRuntimeInfo();
  }

  private List<Doctor.Check> checks() {
    return new Doctor(
            new AgentApi(
                new ConsulHttp(ConsulEndpoint.of(wm.getHttpBaseUrl()), Duration.ofSeconds(5))))
        .consulChecks(Optional.of(WEB));
  }

  private static Doctor.Verdict verdict(List<Doctor.Check> cs, String name) {
    return cs.stream()
        .filter(c -> c.name().equals(name))
        .findFirst()
        .map(Doctor.Check::verdict)
        .orElse(null);
  }

  private void healthyAgent(String checks) {
    stub("/v1/agent/self", "agent-self");
    stub("/v1/status/leader", "status-leader");
    stub("/v1/agent/members", "agent-members");
    stub("/v1/agent/services", "agent-services");
    stub("/v1/agent/checks", checks);
  }

  /** GET path answers the recorded real response. */
  private static void stub(String path, String recording) {
    wiremock.stubFor(get(path).willReturn(Recorded.load(recording).response()));
  }

  @Test
  void healthy() {
    healthyAgent("agent-checks-passing");
    List<Doctor.Check> cs = checks();
    assertThat(cs).extracting(Doctor.Check::verdict).containsOnly(Doctor.Verdict.OK);
    String leader = Recorded.load("status-leader").body().asText();
    assertThat(cs)
        .filteredOn(c -> c.name().equals("cluster"))
        .first()
        .extracting(Doctor.Check::detail)
        .isEqualTo("leader " + leader + ", 1 member(s)");
    assertThat(cs)
        .filteredOn(c -> c.name().equals("consul agent"))
        .first()
        .extracting(Doctor.Check::detail)
        .isEqualTo("Consul 1.8.7, datacenter dc1");
    assertThat(Doctor.exitCode(cs)).isZero();
  }

  @Test
  void sidecarCritical_failsHealthChecksWithAHint() {
    healthyAgent("agent-checks-critical");
    List<Doctor.Check> cs = checks();
    assertThat(verdict(cs, "health checks")).isEqualTo(Doctor.Verdict.FAIL);
    assertThat(cs)
        .filteredOn(c -> c.name().equals("health checks"))
        .first()
        .satisfies(
            c -> {
              assertThat(c.detail())
                  .contains("web listening: dial tcp 127.0.0.1:")
                  .contains("Connect Sidecar Listening: dial tcp")
                  .contains("Connect Sidecar Aliasing web: Aliased check");
              assertThat(c.hint()).contains("envoy@web");
            });
    assertThat(Doctor.exitCode(cs)).isEqualTo(1);
  }

  @Test
  void aclDenyOnAgentSelf_stillSeesARunningAgentAndItsLeader() {
    healthyAgent("agent-checks-passing");
    // real 1.8.7 under ACL default deny, a token without agent:read: HTTP 403, body "Permission
    // denied" (its log: agent.http: Request error: method=GET url=/v1/agent/self ... error=
    // "Permission denied", scripts/e2e real-consul)
    wiremock.stubFor(
        get("/v1/agent/self")
            .willReturn(aResponse().withStatus(403).withBody("Permission denied")));
    List<Doctor.Check> cs = checks();
    assertThat(verdict(cs, "consul agent")).isEqualTo(Doctor.Verdict.OK);
    assertThat(verdict(cs, "cluster")).isEqualTo(Doctor.Verdict.OK);
    assertThat(cs)
        .filteredOn(c -> c.name().equals("consul agent"))
        .first()
        .extracting(Doctor.Check::detail)
        .asString()
        .contains("agent:read");
    // without a leader it is still a failed cluster
    stub("/v1/status/leader", "status-leader-no-known-servers");
    assertThat(verdict(checks(), "cluster")).isEqualTo(Doctor.Verdict.FAIL);
  }

  @Test
  void notJoined_failsClusterAndSaysWhatToCheck() {
    healthyAgent("agent-checks-passing");
    stub("/v1/status/leader", "status-leader-no-known-servers");
    List<Doctor.Check> cs = checks();
    assertThat(verdict(cs, "consul agent")).isEqualTo(Doctor.Verdict.OK);
    assertThat(verdict(cs, "cluster")).isEqualTo(Doctor.Verdict.FAIL);
    assertThat(cs.get(cs.size() - 1).hint()).contains("retry_join");
  }

  @Test
  void consulDns_isWhereTheRecordedSelfSaysItListens() {
    JsonNode self = Recorded.load("agent-self").body();
    String udp = self.path("DebugConfig").path("DNSAddrs").get(1).asText();
    assertThat(udp).startsWith("udp://127.0.0.1:");
    int port = Integer.parseInt(udp.substring(udp.lastIndexOf(':') + 1));
    assertThat(Doctor.consulDnsAddress(AgentApi.parseSelf(Recorded.load("agent-self").bodyText())))
        .contains(new InetSocketAddress("127.0.0.1", port));
    // an answer without DebugConfig (older or trimmed): Consul's default
    assertThat(
            Doctor.consulDnsAddress(AgentApi.parseSelf("{\"Config\": {\"Version\": \"1.8.7\"}}")))
        .contains(new InetSocketAddress("127.0.0.1", 8600));
  }

  @Test
  void agentDown_failsWithAHint() {
    String url = Ports.nothingListening();
    List<Doctor.Check> cs =
        new Doctor(new AgentApi(new ConsulHttp(ConsulEndpoint.of(url), Duration.ofSeconds(1))))
            .consulChecks(Optional.of(WEB));
    assertThat(cs)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.verdict()).isEqualTo(Doctor.Verdict.FAIL);
              assertThat(c.hint()).contains("systemctl status consul");
            });
  }

  @Test
  @Tag("root")
  void driftedRules_areShownRuleByRule(@TempDir Path root) {
    assumeTrue(Netns.available(), "needs root, ip and iptables");
    RedirectConfig c =
        new RedirectConfig(
            101,
            21000,
            15001,
            List.of(22),
            List.of(),
            List.of(),
            List.of(998),
            Optional.empty(),
            0);
    try (Netns ns = new Netns("cva-doctor")) {
      Iptables ipt = new Iptables(ns.host(root));
      ipt.apply(c);
      assertThat(Doctor.ruleDrift(c, ipt.saveNat())).isEmpty();
      ns.exec(
              "iptables",
              "-t",
              "nat",
              "-D",
              "CONSUL_PROXY_INBOUND",
              "-p",
              "tcp",
              "--dport",
              "22",
              "-j",
              "RETURN")
          .check();
      ns.exec(
              "iptables",
              "-t",
              "nat",
              "-I",
              "CONSUL_PROXY_OUTPUT",
              "-p",
              "tcp",
              "--dport",
              "443",
              "-j",
              "RETURN")
          .check();
      assertThat(Doctor.ruleDrift(c, ipt.saveNat()))
          .containsExactly(
              "missing in CONSUL_PROXY_INBOUND: -A CONSUL_PROXY_INBOUND -p tcp --dport 22 -j"
                  + " RETURN",
              "unexpected in CONSUL_PROXY_OUTPUT: -A CONSUL_PROXY_OUTPUT -p tcp --dport 443 -j"
                  + " RETURN");
      ipt.cleanup();
      assertThat(Doctor.ruleDrift(c, ipt.saveNat()))
          .contains(
              "CONSUL_PROXY_INBOUND is missing", "no jump from PREROUTING to CONSUL_PROXY_INBOUND");
    }
  }
}
