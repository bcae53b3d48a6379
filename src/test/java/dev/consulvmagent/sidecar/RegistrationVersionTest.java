package dev.consulvmagent.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.render.Json;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.spec.SpecException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registration and Envoy flags as the configured Consul version knows them. */
class RegistrationVersionTest {
  private static MeshService mesh(String... kv) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("consul.hashicorp.com/connect-service", "web");
    a.put("consul.hashicorp.com/connect-service-port", "9090");
    for (int i = 0; i < kv.length; i += 2) a.put(kv[i], kv[i + 1]);
    return ServiceConfig.parse(Json.render(Map.of("annotations", a)), "service").mesh();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> svc(Map<String, Object> doc) {
    return (Map<String, Object>) doc.get("service");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> sidecar(Map<String, Object> doc) {
    return (Map<String, Object>)
        ((Map<String, Object>) svc(doc).get("connect")).get("sidecar_service");
  }

  @Test
  void virtualIp_isOnTheServiceAndOnItsSidecar_asConsulK8sDoes() {
    Map<String, Object> doc =
        Registration.document(mesh("alpha.consul.hashicorp.com/virtual-ip", "240.0.0.5"), "1.16.6");
    Map<String, Object> want = Map.of("virtual", Map.of("address", "240.0.0.5", "port", 9090));
    assertThat(svc(doc).get("tagged_addresses")).isEqualTo(want);
    assertThat(sidecar(doc).get("tagged_addresses")).isEqualTo(want);
  }

  @Test
  void virtualIp_withoutTransparentProxy_isNotWritten_asConsulK8sDoes() {
    String json =
        new String(
            Json.render(
                Registration.document(
                    mesh(
                        "alpha.consul.hashicorp.com/virtual-ip",
                        "240.0.0.5",
                        "consul.hashicorp.com/transparent-proxy",
                        "false"),
                    "1.16.6")),
            StandardCharsets.UTF_8);
    assertThat(json).doesNotContain("tagged_addresses").doesNotContain("240.0.0.5");
  }

  @Test
  void transparentProxy_forAVersionWithoutIt_isRefused_notSilentlyDropped() {
    assertThatThrownBy(() -> Registration.document(mesh(), "1.9.17"))
        .isInstanceOf(SpecException.class)
        .hasMessageStartingWith("consul.version");
  }

  @Test
  void metricsScrapePath_isPassedOnlyWhereConsulKnowsTheFlag() {
    MeshService m =
        mesh(
            "consul.hashicorp.com/enable-metrics",
            "true",
            "consul.hashicorp.com/transparent-proxy",
            "false");
    assertThat(Registration.connectEnvoyArgs(m, "127.0.0.1:19000", "1.16.6"))
        .contains("-prometheus-scrape-path=/metrics");
    assertThat(Registration.connectEnvoyArgs(m, "127.0.0.1:19000", "1.9.17"))
        .noneMatch(a -> a.startsWith("-prometheus"));
  }

  @Test
  void proxyMode_isWrittenFor110AndLater() {
    assertThat(sidecar(Registration.document(mesh(), "1.10.0")).get("proxy").toString())
        .contains("mode=transparent");
    @SuppressWarnings("unchecked")
    Map<String, Object> direct =
        (Map<String, Object>)
            sidecar(
                    Registration.document(
                        mesh(
                            "consul.hashicorp.com/transparent-proxy",
                            "false",
                            "consul.hashicorp.com/connect-service-upstreams",
                            "db:5432"),
                        "1.8.7"))
                .get("proxy");
    assertThat(direct).doesNotContainKey("mode").doesNotContainKey("transparent_proxy");
    assertThat((List<?>) direct.get("upstreams")).hasSize(1);
  }
}
