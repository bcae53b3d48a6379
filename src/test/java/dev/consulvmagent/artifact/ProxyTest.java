package dev.consulvmagent.artifact;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** http_proxy / https_proxy / no_proxy from the environment, as curl and apt honour them. */
class ProxyTest {
  @RegisterExtension
  static WireMockExtension proxy =
      WireMockExtension.newInstance()
          .options(WireMockConfiguration.options().dynamicPort())
          .build();

  @Test
  void downloadsGoThroughTheProxy() {
    proxy.stubFor(get("/consul/SHA256SUMS").willReturn(aResponse().withBody("through the proxy")));
    Map<String, String> env = Map.of("http_proxy", "http://127.0.0.1:" + proxy.getPort());
    Downloader d =
        new Downloader(Duration.ofSeconds(2), Duration.ofSeconds(2), 1, Duration.ofMillis(1), env);
    // releases.example.invalid never resolves: only the proxy can answer
    assertThat(d.fetchSmall("checksums", "http://releases.example.invalid/consul/SHA256SUMS"))
        .hasValueSatisfying(b -> assertThat(new String(b)).isEqualTo("through the proxy"));
    Downloader direct =
        new Downloader(
            Duration.ofSeconds(2), Duration.ofSeconds(2), 1, Duration.ofMillis(1), Map.of());
    assertThatThrownBy(
            () ->
                direct.fetchSmall("checksums", "http://releases.example.invalid/consul/SHA256SUMS"))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("releases.example.invalid");
  }

  @Test
  void noProxy_andSchemeSpecificSettings() {
    var sel =
        Downloader.EnvProxySelector.fromEnvironment(
            Map.of(
                "HTTPS_PROXY",
                "proxy.internal:3128",
                "http_proxy",
                "http://web-proxy:8080",
                "no_proxy",
                "localhost,.corp.example, mirror.internal"));
    assertThat(address(sel.select(URI.create("https://releases.hashicorp.com/x")).get(0)))
        .isEqualTo("proxy.internal:3128");
    assertThat(address(sel.select(URI.create("http://releases.hashicorp.com/x")).get(0)))
        .isEqualTo("web-proxy:8080");
    assertThat(sel.select(URI.create("http://mirror.internal/x"))).containsExactly(Proxy.NO_PROXY);
    assertThat(sel.select(URI.create("https://a.corp.example/x"))).containsExactly(Proxy.NO_PROXY);
    assertThat(sel.select(URI.create("http://localhost:8500/x"))).containsExactly(Proxy.NO_PROXY);
  }

  private static String address(Proxy p) {
    InetSocketAddress a = (InetSocketAddress) p.address();
    return a.getHostString() + ":" + a.getPort();
  }
}
