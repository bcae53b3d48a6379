package dev.consulvmagent.consul;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.sidecar.Registration;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.spec.Upstream;
import dev.consulvmagent.testing.RealConsul;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The registrations we render, loaded by a REAL Consul 1.8.7 -dev agent from its config dir and
 * read back from /v1/agent/service/ID and /v1/agent/checks: every field equal to what the service
 * config asked, for everything 1.8 supports (transparent proxy, 1.10+, is off).
 */
class RegistrationRealTest {
  static Stream<Arguments> configs() {
    return Stream.of(
        ann(
            "minimal",
            "\"consul.hashicorp.com/connect-service\": \"web\","
                + " \"consul.hashicorp.com/connect-service-port\": \"8080\""),
        ann(
            "tags and meta",
            "\"consul.hashicorp.com/connect-service\": \"billing\","
                + " \"consul.hashicorp.com/connect-service-port\": \"9001\","
                + " \"consul.hashicorp.com/service-tags\": \"v1, blue ,a\\\\,b,\","
                + " \"consul.hashicorp.com/service-meta-team\": \"payments\","
                + " \"consul.hashicorp.com/service-meta-version\": \"2\""),
        ann(
            "upstreams of every 1.8 type",
            "\"consul.hashicorp.com/connect-service\": \"dashboard\","
                + " \"consul.hashicorp.com/connect-service-port\": \"9002\","
                + " \"consul.hashicorp.com/connect-service-upstreams\": \"counting:9191:dc2,"
                + " prepared_query:nearest-db:9192, api.svc:9193, cache.svc.dc3.dc:9194\""),
        // metrics (consul connect envoy -prometheus-scrape-path) need 1.10: ConsulVersions
        // refuses them for 1.8 (ConsulVersionsTest), so only the proxy config here
        ann(
            "proxy config",
            "\"consul.hashicorp.com/connect-service\": \"metered\","
                + " \"consul.hashicorp.com/connect-service-port\": \"9003\","
                + " \"consul.hashicorp.com/proxy-config-map\": \"{\\\"protocol\\\": \\\"http\\\","
                + " \\\"local_connect_timeout_ms\\\": 2000}\""),
        ann(
            "virtual ip",
            "\"consul.hashicorp.com/connect-service\": \"vip\","
                + " \"consul.hashicorp.com/connect-service-port\": \"9004\","
                + " \"alpha.consul.hashicorp.com/virtual-ip\": \"10.0.0.7\""),
        ann(
            "no sidecar",
            "\"consul.hashicorp.com/connect-service\": \"plain\","
                + " \"consul.hashicorp.com/connect-service-port\": \"9005\","
                + " \"consul.hashicorp.com/connect-inject\": \"false\""),
        Arguments.of(
            "simple form",
            ServiceConfig.parse(
                    ("{\"name\": \"api\", \"port\": 9090, \"tags\": [\"x\", \"y\"], \"meta\":"
                            + " {\"k\": \"v\"}, \"transparent_proxy\": false, \"upstreams\":"
                            + " [{\"destination_name\": \"db\", \"local_bind_port\": 5432,"
                            + " \"datacenter\": \"dc2\"}, {\"destination_name\": \"cache\","
                            + " \"local_bind_port\": 6379}]}")
                        .getBytes(),
                    "")
                .mesh()));
  }

  /** An annotation set, with transparent proxy off (Consul 1.8 has none). */
  static Arguments ann(String name, String annotations) {
    String doc =
        "{\"annotations\": {"
            + annotations
            + ", \"consul.hashicorp.com/transparent-proxy\": \"false\"}}";
    return Arguments.of(name, ServiceConfig.parse(doc.getBytes(), "").mesh());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configs")
  void loadedByTheRealAgent_readsBackAsConfigured(String label, MeshService m, @TempDir Path tmp)
      throws Exception {
    byte[] rendered = Json.render(Registration.document(m, "1.8.7"));
    try (RealConsul dev =
        RealConsul.dev(tmp, d -> Files.write(d.resolve("service-registration.json"), rendered))) {
      dev.awaitService(m.name());
      JsonNode svc = dev.serviceJson(m.name()).orElseThrow();
      Map<String, String> meta = new LinkedHashMap<>(m.meta());
      meta.put("managed-by", Registration.MANAGED_BY);
      assertThat(svc.path("ID").asText()).isEqualTo(m.name());
      assertThat(svc.path("Service").asText()).isEqualTo(m.name());
      assertThat(svc.path("Port").asInt()).isEqualTo(m.port());
      assertThat(strings(svc.path("Tags"))).isEqualTo(m.tags());
      assertThat(map(svc.path("Meta"))).isEqualTo(meta);
      // consul-k8s sets the virtual address only with transparent proxy (Registration), which
      // 1.8 lacks: the "virtual ip" row must come back without it
      if (m.virtualIp().isPresent() && m.transparentProxy()) {
        assertThat(svc.path("TaggedAddresses").path("virtual").path("Address").asText())
            .isEqualTo(m.virtualIp().get());
        assertThat(svc.path("TaggedAddresses").path("virtual").path("Port").asInt())
            .isEqualTo(m.port());
      } else {
        assertThat(svc.has("TaggedAddresses")).isFalse();
      }
      // the check: 1.8's agent API shows its name, type and service, not its interval
      JsonNode check = dev.json("/v1/agent/checks").path("service:" + m.name());
      assertThat(check.path("Name").asText()).isEqualTo(m.name() + " listening");
      assertThat(check.path("Type").asText()).isEqualTo("tcp");
      assertThat(check.path("ServiceID").asText()).isEqualTo(m.name());

      if (!m.connect()) {
        assertThat(dev.api().service(m.sidecarId())).isEmpty();
        assertThat(dev.api().services().size()).isEqualTo(1);
        return;
      }
      JsonNode sc =
          dev.serviceJson(m.sidecarId())
              .orElseThrow(() -> new AssertionError(m.sidecarId() + " not registered"));
      assertThat(sc.path("Kind").asText()).isEqualTo("connect-proxy");
      assertThat(sc.path("Service").asText()).isEqualTo(m.sidecarId());
      // Consul picks the sidecar's port from sidecar_min_port..sidecar_max_port (21000-21255)
      assertThat(sc.path("Port").asInt()).isBetween(21000, 21255);
      // copied from the service by Consul (agent/sidecar_service.go): tags and meta
      assertThat(strings(sc.path("Tags"))).isEqualTo(m.tags());
      assertThat(map(sc.path("Meta"))).isEqualTo(meta);
      // tagged addresses are not copied to a sidecar (1.8.7): only those its stanza names
      JsonNode asked =
          Json.mapper()
              .readTree(rendered)
              .path("service")
              .path("connect")
              .path("sidecar_service")
              .path("tagged_addresses");
      if (asked.isMissingNode()) {
        assertThat(sc.has("TaggedAddresses")).isFalse();
      } else {
        asked
            .fields()
            .forEachRemaining(
                e -> {
                  assertThat(sc.path("TaggedAddresses").path(e.getKey()).path("Address").asText())
                      .isEqualTo(e.getValue().path("address").asText());
                  assertThat(sc.path("TaggedAddresses").path(e.getKey()).path("Port").asInt())
                      .isEqualTo(e.getValue().path("port").asInt());
                });
      }
      JsonNode p = sc.path("Proxy");
      assertThat(p.path("DestinationServiceName").asText()).isEqualTo(m.name());
      assertThat(p.path("DestinationServiceID").asText()).isEqualTo(m.name());
      assertThat(p.path("LocalServiceAddress").asText()).isEqualTo("127.0.0.1");
      assertThat(p.path("LocalServicePort").asInt()).isEqualTo(m.port());
      Map<String, Object> config = new LinkedHashMap<>(m.proxyConfig());
      m.metricsPort()
          .ifPresent(port -> config.put("envoy_prometheus_bind_addr", "0.0.0.0:" + port));
      // an empty proxy config is left out of the answer by 1.8
      if (config.isEmpty()) assertThat(p.has("Config")).isFalse();
      else assertThat(Json.mapper().convertValue(p.path("Config"), Map.class)).isEqualTo(config);
      List<Map<String, Object>> wantUps = new ArrayList<>();
      for (Upstream u : m.upstreams()) {
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("DestinationType", u.destinationType());
        w.put("DestinationName", u.destinationName());
        if (u.datacenter() != null) w.put("Datacenter", u.datacenter());
        w.put("LocalBindPort", u.localBindPort());
        w.put("MeshGateway", Map.of());
        wantUps.add(w);
      }
      List<?> gotUps =
          p.has("Upstreams")
              ? Json.mapper().convertValue(p.path("Upstreams"), List.class)
              : List.of();
      assertThat(gotUps).isEqualTo(wantUps);
      assertThat(p.has("Mode")).as("1.8 has no proxy mode").isFalse();
    }
  }

  @Test
  void peerUpstreams_areRejectedBy18(@TempDir Path tmp) throws Exception {
    RealConsul.require();
    // a fact for the version table: destination_peer (cluster peering) is unknown to 1.8
    Files.writeString(tmp.resolve("agent.json"), "{\"data_dir\": \"" + tmp.resolve("data") + "\"}");
    MeshService peer =
        ServiceConfig.parse(
                ("{\"annotations\": {\"consul.hashicorp.com/connect-service\": \"web\","
                        + " \"consul.hashicorp.com/connect-service-port\": \"8080\","
                        + " \"consul.hashicorp.com/transparent-proxy\": \"false\","
                        + " \"consul.hashicorp.com/connect-service-upstreams\":"
                        + " \"api.svc.other.peer:9191\"}}")
                    .getBytes(),
                "")
            .mesh();
    Files.write(
        tmp.resolve("service-registration.json"),
        Json.render(Registration.document(peer, "1.16.6")));
    Process p =
        new ProcessBuilder(RealConsul.BINARY.toString(), "validate", tmp.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).isEqualTo(1);
    assertThat(out)
        .contains(
            "invalid config key"
                + " service.connect.sidecar_service.proxy.upstreams[0].destination_peer");
  }

  private static List<String> strings(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.forEach(e -> out.add(e.asText()));
    return out;
  }

  private static Map<String, String> map(JsonNode n) {
    Map<String, String> out = new LinkedHashMap<>();
    n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }
}
