package dev.consulvmagent.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The version table: what each Consul knows, and validate refusing what it lacks. */
class ConsulVersionsTest {
  private static AgentSpec parse(String yaml) {
    return new SpecLoader().parse(yaml.getBytes(StandardCharsets.UTF_8));
  }

  private static final String V18 =
      "consul:\n  version: \"1.8.7\"\n  role: server\n" + "envoy:\n  version: \"1.14.5\"\n";

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource({
    "1.8.7, UI_CONFIG, false",
    "1.9.0, UI_CONFIG, true",
    "1.16.6, UI_CONFIG, true",
    "1.9.17, TRANSPARENT_PROXY, false",
    "1.10.0, TRANSPARENT_PROXY, true",
    "1.8.7, VIRTUAL_TAGGED_ADDRESS, false",
    "1.10.0, VIRTUAL_TAGGED_ADDRESS, true",
    "1.9.4, PROMETHEUS_SCRAPE_PATH, false",
    "1.10.1, PROMETHEUS_SCRAPE_PATH, true",
    "1.12.9, DESTINATION_PEER, false",
    "1.13.0, DESTINATION_PEER, true",
    "1.14.11, IGNORE_ENVOY_COMPATIBILITY, false",
    "1.15.0, IGNORE_ENVOY_COMPATIBILITY, true",
    "1.10.12, INITIAL_MANAGEMENT, false",
    "1.11.0, INITIAL_MANAGEMENT, true",
    "1.20.8+ent, IGNORE_ENVOY_COMPATIBILITY, true",
    "2.0.0, UI_CONFIG, true"
  })
  void has_followsTheTable(String version, ConsulVersions.Feature f, boolean expected) {
    assertThat(ConsulVersions.has(version, f)).isEqualTo(expected);
  }

  @Test
  void versions_compareNumerically_notAsText() {
    assertThat(
            ConsulVersions.Version.parse("1.10.0").atLeast(ConsulVersions.Version.parse("1.9.0")))
        .isTrue();
    assertThat(
            ConsulVersions.Version.parse("1.9.10").atLeast(ConsulVersions.Version.parse("1.10.0")))
        .isFalse();
  }

  @Test
  void transparentProxy_withConsul18_isRefused_namingConsulVersion() {
    String yaml =
        V18 + "service:\n  name: web\n  port: 9090\n"; // simple form: transparent by default
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(SpecException.class)
        .satisfies(e -> assertThat(((SpecException) e).path()).isEqualTo("consul.version"))
        .hasMessageContaining("consul.version")
        .hasMessageContaining("1.8.7")
        .hasMessageContaining("transparent proxy")
        .hasMessageContaining("1.10.0");
  }

  @Test
  void annotationsWithTransparentProxy_withConsul18_areRefused() {
    String yaml =
        V18
            + "service:\n  annotations:\n"
            + "    consul.hashicorp.com/connect-service: web\n"
            + "    consul.hashicorp.com/connect-service-port: \"9090\"\n";
    assertThatThrownBy(() -> parse(yaml)).hasMessageStartingWith("consul.version");
  }

  @Test
  void metrics_withConsul19_areRefused_becauseTheScrapePathFlagIsMissing() {
    String yaml =
        "consul:\n"
            + "  version: \"1.9.17\"\n"
            + "  role: server\n"
            + "envoy: {version: \"1.16.5\", ignore_compatibility: true}\n"
            + "service:\n"
            + "  annotations:\n"
            + "    consul.hashicorp.com/connect-service: web\n"
            + "    consul.hashicorp.com/connect-service-port: \"9090\"\n"
            + "    consul.hashicorp.com/transparent-proxy: \"false\"\n"
            + "    consul.hashicorp.com/enable-metrics: \"true\"\n";
    assertThatThrownBy(() -> parse(yaml))
        .hasMessageStartingWith("consul.version")
        .hasMessageContaining("-prometheus-scrape-path");
  }

  @Test
  void explicitUpstreams_withConsul18_areValid() {
    AgentSpec s =
        parse(
            V18
                + "service:\n  annotations:\n"
                + "    consul.hashicorp.com/connect-service: dashboard\n"
                + "    consul.hashicorp.com/connect-service-port: \"9002\"\n"
                + "    consul.hashicorp.com/transparent-proxy: \"false\"\n"
                + "    consul.hashicorp.com/connect-service-upstreams: counting:9001\n");
    assertThat(s.service().orElseThrow().mesh().transparentProxy()).isFalse();
  }

  @Test
  void consulOlderThanTheMinimum_isRefused() {
    assertThatThrownBy(
            () ->
                parse(
                    "consul:\n"
                        + "  version: \"1.7.14\"\n"
                        + "  role: server\n"
                        + "envoy: {ignore_compatibility: true}\n"))
        .hasMessageStartingWith("consul.version")
        .hasMessageContaining("1.8.0");
  }
}
