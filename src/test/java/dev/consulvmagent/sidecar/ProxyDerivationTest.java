package dev.consulvmagent.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.consul.AgentApi;
import dev.consulvmagent.iptables.ConsulRules;
import dev.consulvmagent.iptables.RedirectConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** -proxy-id derivation, reference/consul-tproxy.md §2.3 and Example B. */
class ProxyDerivationTest {
  /** The service as AgentApi types the agent's answer. */
  static AgentApi.Service json(String s) {
    return AgentApi.parseService(s);
  }

  @Test
  void exampleB_derivesPortsAndExclusionsInConsulsOrder() throws Exception {
    AgentApi.Service svc =
        json(
            """
            {"ID": "web-sidecar-proxy", "Kind": "connect-proxy", "Port": 21000,
             "Proxy": {"DestinationServiceID": "web", "Mode": "transparent", "TransparentProxy": {},
                       "Config": {"envoy_prometheus_bind_addr": "0.0.0.0:20200", "envoy_stats_bind_addr": "0.0.0.0:9102"},
                       "Expose": {"Paths": [{"Path": "/healthz", "ListenerPort": 21500}]},
                       "Upstreams": [{"DestinationName": "db", "LocalBindPort": 5432}]}}
            """);
    ProxyDerivation.Derived d = ProxyDerivation.derive("web-sidecar-proxy", svc, null);
    assertThat(d.inboundPort()).isEqualTo(21000);
    assertThat(d.outboundPort()).isEqualTo(15001);
    assertThat(d.excludeInbound()).containsExactly(20200, 9102, 21500);
    RedirectConfig flags =
        new RedirectConfig(
            101, 0, 15001, List.of(22), List.of(), List.of(), List.of(998), Optional.empty(), 0);
    List<Integer> in = new ArrayList<>(d.excludeInbound());
    in.addAll(flags.excludeInboundPorts());
    RedirectConfig c =
        new RedirectConfig(
            101,
            d.inboundPort(),
            d.outboundPort(),
            in,
            List.of(),
            List.of(),
            List.of(998),
            Optional.empty(),
            0);
    assertThat(ConsulRules.commands(c).stream().map(x -> String.join(" ", x)).toList())
        .endsWith(
            "-t nat -I CONSUL_PROXY_INBOUND -p tcp --dport 20200 -j RETURN",
            "-t nat -I CONSUL_PROXY_INBOUND -p tcp --dport 9102 -j RETURN",
            "-t nat -I CONSUL_PROXY_INBOUND -p tcp --dport 21500 -j RETURN",
            "-t nat -I CONSUL_PROXY_INBOUND -p tcp --dport 22 -j RETURN");
  }

  @Test
  void bindPortAndOutboundListenerPort_override() throws Exception {
    AgentApi.Service svc =
        json(
            """
            {"Port": 21000, "Proxy": {"Config": {"bind_port": "21005"}, "TransparentProxy": {"OutboundListenerPort": 15002}}}\
            """);
    ProxyDerivation.Derived d = ProxyDerivation.derive("x", svc, null);
    assertThat(d.inboundPort()).isEqualTo(21005);
    assertThat(d.outboundPort()).isEqualTo(15002);
  }

  @Test
  void errors_likeConsuls() throws Exception {
    assertThatThrownBy(() -> ProxyDerivation.derive("web", json("{\"Port\": 8080}"), null))
        .hasMessage("service web is not a proxy service");
    assertThatThrownBy(
            () ->
                ProxyDerivation.derive(
                    "x",
                    json(
                        "{\"Port\": 1, \"Proxy\": {\"Config\": {\"envoy_stats_bind_addr\":"
                            + " \"9000\"}}}"),
                    null))
        .hasMessageContaining("missing port in address");
  }
}
