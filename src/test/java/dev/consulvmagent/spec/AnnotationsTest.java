package dev.consulvmagent.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.render.Json;
import dev.consulvmagent.sidecar.Registration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AnnotationsTest {
  static final String P = "consul.hashicorp.com/";

  private static MeshService parse(String json) {
    return ServiceConfig.parse(json.getBytes(), "").mesh();
  }

  private static String ann(String extra) {
    return "{\"annotations\": {\""
        + P
        + "connect-service\": \"web\", \""
        + P
        + "connect-service-port\": \"8080\""
        + extra
        + "}}";
  }

  @Test
  void simpleForm_isTransparentAndDialedDirectly() {
    MeshService m = parse("{\"name\": \"counting\", \"port\": 9003}");
    assertThat(m.transparentProxy()).isTrue();
    assertThat(m.dialedDirectly()).isTrue();
    Map<?, ?> svc =
        (Map<?, ?>) Registration.document(m, SpecLoader.DEFAULT_CONSUL_VERSION).get("service");
    Map<?, ?> proxy =
        (Map<?, ?>)
            ((Map<?, ?>) ((Map<?, ?>) svc.get("connect")).get("sidecar_service")).get("proxy");
    assertThat(proxy.get("mode")).isEqualTo("transparent");
    assertThat(proxy.get("transparent_proxy")).isEqualTo(Map.of("dialed_directly", true));
  }

  @Test
  void annotations_everyVmRelevantOne() {
    MeshService m =
        parse(
            ann(
                ", \""
                    + P
                    + "connect-service-upstreams\": \"db:5432,"
                    + " cache:6379:dc2,api.svc.peer1.peer:7000,prepared_query:q1:9000\", \""
                    + P
                    + "service-tags\": \"a,\\\\,b,,c\""
                    + ", \""
                    + P
                    + "service-meta-team\": \"core\""
                    + ", \""
                    + P
                    + "transparent-proxy\": \"False\""
                    + ", \""
                    + P
                    + "transparent-proxy-exclude-inbound-ports\": \" 8081 , 9000\""
                    + ", \""
                    + P
                    + "transparent-proxy-exclude-outbound-ports\": \"443\""
                    + ", \""
                    + P
                    + "transparent-proxy-exclude-outbound-cidrs\":"
                    + " \"169.254.169.254/32,10.0.0.0/8\", \""
                    + P
                    + "transparent-proxy-exclude-uids\": \"998\""
                    + ", \""
                    + P
                    + "envoy-extra-args\": \"--log-level debug --component-log-level"
                    + " 'upstream:info'\", \""
                    + P
                    + "enable-metrics\": \"1\""
                    + ", \""
                    + P
                    + "prometheus-scrape-port\": \"20300\""
                    + ", \""
                    + P
                    + "prometheus-scrape-path\": \"/stats\""
                    + ", \"alpha.consul.hashicorp.com/virtual-ip\": \"240.0.0.5\""));
    assertThat(m.upstreams())
        .containsExactly(
            new Upstream("service", "db", null, null, 5432),
            new Upstream("service", "cache", null, "dc2", 6379),
            new Upstream("service", "api", "peer1", null, 7000),
            new Upstream("prepared_query", "q1", null, null, 9000));
    assertThat(m.tags()).containsExactly("a", ",b", "c");
    assertThat(m.meta()).containsEntry("team", "core");
    assertThat(m.transparentProxy()).isFalse();
    assertThat(m.excludeInboundPorts()).containsExactly(8081, 9000);
    assertThat(m.excludeOutboundCidrs()).containsExactly("169.254.169.254/32", "10.0.0.0/8");
    assertThat(m.excludeUids()).containsExactly(998);
    assertThat(m.envoyExtraArgs())
        .containsExactly("--log-level", "debug", "--component-log-level", "upstream:info");
    assertThat(m.metricsPort()).contains(20300);
    assertThat(m.virtualIp()).contains("240.0.0.5");
    assertThat(Registration.redirectArgs(m, 101))
        .contains("-exclude-uid=998", "-exclude-outbound-port=443");
  }

  @Test
  void transparentProxy_defaultsToOn() {
    assertThat(parse(ann("")).transparentProxy()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          bad bool            | transparent-proxy                        | yes
          upstream no port    | connect-service-upstreams                | db
          upstream bad port   | connect-service-upstreams                | db:http
          upstream zero port  | connect-service-upstreams                | db:0
          upstream bad labels | connect-service-upstreams                | db.svc.x:80
          duplicate bind      | connect-service-upstreams                | a:80,b:80
          bad uid             | transparent-proxy-exclude-uids           | envoy
          bad cidr            | transparent-proxy-exclude-outbound-cidrs | 10.0.0.0/33
          bad port list       | transparent-proxy-exclude-inbound-ports  | 22,ssh
          unterminated quote  | envoy-extra-args                         | --x 'y
          arg with space      | envoy-extra-args                         | --x 'a b'
          upstream empty item | connect-service-upstreams                | a:1,,b:2
          upstream trailing   | connect-service-upstreams                | a:1,
          upstream blank      | connect-service-upstreams                | ' '
          inbound empty item  | transparent-proxy-exclude-inbound-ports  | 22,,80
          outbound empty      | transparent-proxy-exclude-outbound-ports | ''
          cidr trailing comma | transparent-proxy-exclude-outbound-cidrs | 10.0.0.0/8,
          uid empty item      | transparent-proxy-exclude-uids           | ,1000
          """)
  void malformed_isAnErrorNamingTheAnnotation(String name, String key, String value) {
    assertThatThrownBy(() -> parse(ann(", \"" + P + key + "\": \"" + value + "\"")))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining(P + key);
  }

  /**
   * consul-k8s reads the keys it knows (constants/annotations_and_labels.go @v1.2.9) and ignores
   * the rest, and so does the seed (generate-sidecar-configs.py skips what it does not match).
   */
  @Test
  void unknownAndKubernetesOnlyAnnotations_areIgnored_withOneWarningNamingThem() {
    ServiceConfig c =
        ServiceConfig.parse(
            ann(", \""
                    + P
                    + "enable-sidecar-proxy-lifecycle\": \"true\""
                    + ", \""
                    + P
                    + "prometheus-ca-file\": \"/x\", \""
                    + P
                    + "connect-k8s-version\": \"v1.2.9\""
                    + ", \""
                    + P
                    + "service-ignore\": \"true\", \""
                    + P
                    + "connect-servce\": \"web\""
                    + ", \"alpha."
                    + P
                    + "nope\": \"1\", \"prometheus.io/scrape\": \"true\", \"example.com/x\": \"y\"")
                .getBytes(),
            "");
    assertThat(c.mesh().name()).isEqualTo("web");
    assertThat(c.warnings()).hasSize(1);
    assertThat(c.warnings().get(0))
        .contains(
            P + "enable-sidecar-proxy-lifecycle",
            P + "prometheus-ca-file",
            P + "connect-k8s-version",
            P + "service-ignore",
            P + "connect-servce",
            "alpha." + P + "nope")
        .doesNotContain("prometheus.io", "example.com");
    assertThat(c.warnings().get(0)).containsPattern("unknown[^:]*: " + P + "connect-servce, alpha");
    assertThat(
            ServiceConfig.parse(ann(", \"prometheus.io/scrape\": \"true\"").getBytes(), "")
                .warnings())
        .isEmpty();
  }

  /** consul-k8s endpoints_controller.go @v1.2.9: no connect-service-port → Port 0, no port. */
  @Test
  void connectServicePort_isOptional_noPortMeansNoPortNoCheck() {
    MeshService m =
        parse(
            "{\"annotations\": {\""
                + P
                + "connect-service\": \"client\","
                + " \"alpha.consul.hashicorp.com/virtual-ip\": \"240.0.0.7\"}}");
    assertThat(m.port()).isZero();
    Map<?, ?> svc =
        (Map<?, ?>) Registration.document(m, SpecLoader.DEFAULT_CONSUL_VERSION).get("service");
    assertThat(svc.containsKey("port") || svc.containsKey("check")).as(svc.toString()).isFalse();
    assertThat(svc.get("tagged_addresses"))
        .isEqualTo(Map.of("virtual", Map.of("address", "240.0.0.7")));
    assertThat(svc.get("connect")).isNotNull();
    assertThat(
            parse(
                    "{\"annotations\": {\""
                        + P
                        + "connect-service\": \"c\", \""
                        + P
                        + "connect-service-port\": \"\"}}")
                .port())
        .isZero();
    // with a port: the port, and the TCP check on it
    Map<?, ?> web =
        (Map<?, ?>)
            Registration.document(parse(ann("")), SpecLoader.DEFAULT_CONSUL_VERSION).get("service");
    assertThat(web.get("port")).isEqualTo(8080);
    assertThat(web.get("check")).isNotNull();
  }

  @Test
  void agentConfig_serviceWithoutPort_takesAppPort() {
    String annotations = "{\"annotations\": {\"" + P + "connect-service\": \"web\"}}";
    ServiceConfig c =
        ServiceConfig.fromNode(SpecLoader.compose(annotations.getBytes()), Optional.of(9090));
    assertThat(c.mesh().port()).isEqualTo(9090);
    ServiceConfig own =
        ServiceConfig.fromNode(SpecLoader.compose(ann("").getBytes()), Optional.of(9090));
    assertThat(own.mesh().port()).isEqualTo(8080);
    Node simpleNode = SpecLoader.compose("{\"name\": \"web\"}".getBytes());
    ServiceConfig simple = ServiceConfig.fromNode(simpleNode, Optional.of(9090));
    assertThat(simple.mesh().port()).isEqualTo(9090);
    Node noneNode = SpecLoader.compose("{\"name\": \"web\"}".getBytes());
    ServiceConfig none = ServiceConfig.fromNode(noneNode, Optional.empty());
    assertThat(none.mesh().port()).isZero();
    String agent =
        "consul: {role: server}\n"
            + "app: {name: web, url: 'https://x.example/web.zip', port: 9090,"
            + " sha256: "
            + "0".repeat(64)
            + "}\nservice: {annotations: {"
            + P
            + "connect-service: web}}\n";
    assertThat(new SpecLoader().parse(agent.getBytes()).service().orElseThrow().mesh().port())
        .isEqualTo(9090);
  }

  /**
   * consul-k8s v1.2.9: processUpstreams splits on "," and indexes parts[1] of each item, so an
   * empty item cannot work (endpoints_controller.go); exclusion lists are strings.Split(raw, ",")
   * handed item by item to iptables (webhook/container_init.go
   * splitCommaSeparatedItemsFromAnnotation), so an empty item fails there. We say so up front,
   * naming the item.
   */
  @Test
  void emptyListItems_areErrorsNamingTheItem_tagsSkipThem() {
    assertThatThrownBy(() -> parse(ann(", \"" + P + "connect-service-upstreams\": \"a:1, ,b:2\"")))
        .hasMessageContaining(P + "connect-service-upstreams")
        .hasMessageContaining("item 2 is empty");
    assertThatThrownBy(
            () -> parse(ann(", \"" + P + "transparent-proxy-exclude-uids\": \"1000,,1001\"")))
        .hasMessageContaining(P + "transparent-proxy-exclude-uids")
        .hasMessageContaining("item 2 is empty");
    MeshService m =
        parse(
            ann(
                ", \""
                    + P
                    + "connect-service-upstreams\": \" db : 5432 : dc2 ,cache:6379\""
                    + ", \""
                    + P
                    + "service-tags\": \",a, ,b,\""));
    assertThat(m.upstreams())
        .containsExactly(
            new Upstream("service", "db", null, "dc2", 5432),
            new Upstream("service", "cache", null, null, 6379));
    assertThat(m.tags()).containsExactly("a", "b");
    assertThat(parse(ann(", \"" + P + "connect-service-upstreams\": \"\"")).upstreams()).isEmpty();
    assertThat(parse("{\"name\": \"web\", \"port\": 80, \"tags\": [\"a\", \"\", \" b \"]}").tags())
        .containsExactly("a", "b");
  }

  @Test
  void simpleForm_rejectsUnknownKeys_namingThem() {
    assertThatThrownBy(() -> parse("{\"name\": \"web\", \"port\": 80, \"bogus\": 1}"))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining("bogus")
        .hasMessageContaining("unknown key");
    assertThatThrownBy(
            () ->
                parse(
                    "{\"name\": \"web\", \"port\": 80,"
                        + " \"upstreams\": [{\"destination_name\": \"db\","
                        + " \"local_bind_port\": 5432, \"dc\": \"x\"}]}"))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining("upstreams[0].dc");
  }

  /** proxy-config-map is read as render.Json reads JSON (spec no longer calls it: no cycle). */
  @Test
  void proxyConfigMap_isAJsonObject_readAsRenderJsonReadsIt() throws Exception {
    String doc =
        "{\"local_connect_timeout_ms\": 2000, \"x\": [1.5, true, null, \"s\"],"
            + " \"o\": {\"k\": 12345678901}}";
    assertThat(Annotations.json(doc)).isEqualTo(Json.parse(doc));
    MeshService m =
        parse(ann(", \"" + P + "proxy-config-map\": \"{\\\"protocol\\\": \\\"http\\\"}\""));
    assertThat(m.proxyConfig()).isEqualTo(Map.of("protocol", "http"));
    for (String bad : List.of("[1]", "{\\\"a\\\": 1} x", "{a: 1}")) {
      assertThatThrownBy(() -> parse(ann(", \"" + P + "proxy-config-map\": \"" + bad + "\"")))
          .isInstanceOf(SpecException.class)
          .hasMessageContaining(P + "proxy-config-map");
    }
  }

  @Test
  void goIntegers_likeParseIntBase0() {
    assertThat(UpstreamParser.parseGoInt("0x1F90")).isEqualTo(8080);
    assertThat(UpstreamParser.parseGoInt("017")).isEqualTo(15);
    assertThat(UpstreamParser.parseGoInt("0b11")).isEqualTo(3);
    assertThat(UpstreamParser.parse("a:0x50", "p"))
        .extracting(Upstream::localBindPort)
        .containsExactly(80);
  }

  @Test
  void tags_escapedCommasAndEmptyItems() {
    assertThat(Annotations.tags("\\,leading,comma")).isEqualTo(List.of(",leading", "comma"));
    assertThat(Annotations.tags(",,a,,b,,")).isEqualTo(List.of("a", "b"));
  }
}
