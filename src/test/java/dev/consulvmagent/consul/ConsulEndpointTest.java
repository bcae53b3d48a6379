package dev.consulvmagent.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The endpoint as Consul's own CLI works it out. Each case is drawn from hashicorp/consul
 * api/api.go (defaultConfig: the CONSUL_* variables; NewClient: scheme handling, path prefix, token
 * file over token) and command/flags/http.go (flags over variables).
 */
class ConsulEndpointTest {
  private static ConsulEndpoint env(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return ConsulEndpoint.resolve(EndpointInput.fromEnv(m, Optional.empty()), p -> "");
  }

  @Test
  void nothingSet_isTheLocalAgentOverHttp() {
    ConsulEndpoint e = env();
    assertThat(e.baseUrl()).isEqualTo("http://127.0.0.1:8500");
    assertThat(e.token()).isEmpty();
  }

  @Test
  void addressWithoutScheme_isHttp_asConsulsCliTakesIt() {
    assertThat(env("CONSUL_HTTP_ADDR", "127.0.0.1:8500").baseUrl())
        .isEqualTo("http://127.0.0.1:8500");
    assertThat(env("CONSUL_HTTP_ADDR", "consul.internal:8501").baseUrl())
        .isEqualTo("http://consul.internal:8501");
    assertThat(env("CONSUL_HTTP_ADDR", "[::1]:8500").baseUrl()).isEqualTo("http://[::1]:8500");
  }

  @Test
  void httpsSchemeOrSslVariable_giveHttps_andHttpNeverRevertsAnExplicitSsl() {
    assertThat(env("CONSUL_HTTP_ADDR", "https://10.0.0.1:8501").scheme()).isEqualTo("https");
    assertThat(env("CONSUL_HTTP_ADDR", "10.0.0.1:8501", "CONSUL_HTTP_SSL", "true").baseUrl())
        .isEqualTo("https://10.0.0.1:8501");
    // api.go: case "http": // Never revert to http if TLS was explicitly requested.
    assertThat(env("CONSUL_HTTP_ADDR", "http://h:1", "CONSUL_HTTP_SSL", "1").scheme())
        .isEqualTo("https");
    // Go ParseBool: "yes" is not a boolean; Consul warns and ignores it
    assertThat(env("CONSUL_HTTP_SSL", "yes").scheme()).isEqualTo("http");
    assertThat(env("CONSUL_HTTP_SSL", "False").scheme()).isEqualTo("http");
  }

  @Test
  void pathAfterTheAddress_isAReverseProxyPrefix() {
    ConsulEndpoint e = env("CONSUL_HTTP_ADDR", "https://proxy.example:443/consul/");
    assertThat(e.address()).isEqualTo("proxy.example:443");
    assertThat(e.pathPrefix()).isEqualTo("/consul");
    assertThat(e.baseUrl()).isEqualTo("https://proxy.example:443/consul");
  }

  @Test
  void unixScheme_keepsTheSocketPath() {
    ConsulEndpoint e = env("CONSUL_HTTP_ADDR", "unix:///run/consul/http.sock");
    assertThat(e.scheme()).isEqualTo("unix");
    assertThat(e.address()).isEqualTo("/run/consul/http.sock");
  }

  @Test
  void unknownSchemeOrGarbage_isAUsageErrorNamingTheVariable() {
    assertThatThrownBy(() -> env("CONSUL_HTTP_ADDR", "ftp://h:1"))
        .isInstanceOf(InvalidEndpointException.class)
        .hasMessageContaining("$CONSUL_HTTP_ADDR")
        .hasMessageContaining("unknown protocol scheme 'ftp'");
    assertThatThrownBy(() -> env("CONSUL_HTTP_ADDR", "h:1\r\nX-Evil: 1"))
        .isInstanceOf(InvalidEndpointException.class)
        .hasMessageContaining("\\x0d");
    assertThatThrownBy(() -> env("CONSUL_HTTP_ADDR", "h:99999"))
        .isInstanceOf(InvalidEndpointException.class)
        .hasMessageContaining("port 99999");
    assertThatThrownBy(() -> env("CONSUL_HTTP_ADDR", "unix://relative.sock"))
        .isInstanceOf(InvalidEndpointException.class);
  }

  @Test
  void flagWinsOverVariable_variableOverConfig_configOverDefault() {
    Map<String, String> envs = Map.of("CONSUL_HTTP_ADDR", "10.0.0.2:8500");
    EndpointInput in = EndpointInput.fromEnv(envs, Optional.of("http://192.0.2.11:8500"));
    assertThat(ConsulEndpoint.resolve(in, p -> "").address()).isEqualTo("10.0.0.2:8500");
    assertThat(
            ConsulEndpoint.resolve(in.withHttpAddr(Optional.of("10.0.0.3:8500")), p -> "")
                .address())
        .isEqualTo("10.0.0.3:8500");
    EndpointInput cfg = EndpointInput.fromEnv(Map.of(), Optional.of("http://192.0.2.11:8500"));
    assertThat(ConsulEndpoint.resolve(cfg, p -> "").address()).isEqualTo("192.0.2.11:8500");
  }

  @Test
  void tokenFileWinsOverToken_whenItIsNotBlank_asNewClientDoes() {
    Map<String, String> m =
        Map.of("CONSUL_HTTP_TOKEN", "from-env", "CONSUL_HTTP_TOKEN_FILE", "/etc/t");
    EndpointInput in = EndpointInput.fromEnv(m, Optional.empty());
    assertThat(ConsulEndpoint.resolve(in, p -> " from-file\n").token().get().value())
        .isEqualTo("from-file");
    assertThat(ConsulEndpoint.resolve(in, p -> "  \n").token().get().value()).isEqualTo("from-env");
    assertThat(
            ConsulEndpoint.resolve(
                    in.withToken(Optional.of("from-flag"), Optional.empty()), p -> "")
                .token()
                .get()
                .value())
        .isEqualTo("from-flag");
  }

  @Test
  void tokenWithControlCharacters_isRefused_andTheTokenIsNeverShown() {
    assertThatThrownBy(() -> env("CONSUL_HTTP_TOKEN", "abc\r\nX: y"))
        .isInstanceOf(InvalidEndpointException.class)
        .hasMessageNotContaining("abc");
    ConsulEndpoint e = env("CONSUL_HTTP_TOKEN", "3f1c0a5e-secret");
    assertThat(e.toString()).doesNotContain("3f1c0a5e").contains("(sensitive)");
    assertThat(e.display()).doesNotContain("3f1c0a5e");
  }

  @Test
  void tlsVariables_areRead_andClientCertNeedsItsKey() {
    ConsulEndpoint e =
        env(
            "CONSUL_CACERT", "/etc/consul.d/tls/ca.pem",
            "CONSUL_TLS_SERVER_NAME", "server.dc1.consul:8501",
            "CONSUL_HTTP_SSL_VERIFY", "false");
    assertThat(e.tls().caFile()).contains(Path.of("/etc/consul.d/tls/ca.pem"));
    // api.go SetupTLSConfig drops a port after the server name
    assertThat(e.tls().serverName()).contains("server.dc1.consul");
    assertThat(e.tls().insecureSkipVerify()).isTrue();
    assertThatThrownBy(() -> env("CONSUL_CLIENT_CERT", "/c.pem"))
        .isInstanceOf(InvalidEndpointException.class)
        .hasMessageContaining("both client cert and client key");
  }

  @Test
  void realTokenFile_isReadWithItsBound(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("t");
    Files.writeString(f, "x".repeat(70_000));
    EndpointInput in =
        EndpointInput.fromEnv(Map.of("CONSUL_HTTP_TOKEN_FILE", f.toString()), Optional.empty());
    assertThatThrownBy(() -> ConsulEndpoint.resolve(in))
        .isInstanceOf(InvalidEndpointException.class)
        .hasMessageContaining("over 64 KiB");
    assertThatThrownBy(
            () ->
                ConsulEndpoint.resolve(
                    EndpointInput.fromEnv(
                        Map.of("CONSUL_HTTP_TOKEN_FILE", dir.resolve("none").toString()),
                        Optional.empty())))
        .isInstanceOf(InvalidEndpointException.class);
  }
}
