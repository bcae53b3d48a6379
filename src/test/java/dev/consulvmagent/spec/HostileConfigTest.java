package dev.consulvmagent.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.render.ConsulConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An attacker's corpus against the config reader, by class: every case is a SpecException (exit 3)
 * naming the field, with a bounded message; none is an internal error.
 */
class HostileConfigTest {
  static final String SERVER = "consul: {role: server}\n";
  static final String APP =
      "app:\n  name: web\n  url: https://x.example/web.zip\n  sha256: " + "0".repeat(64) + "\n";
  static final String ANN =
      "service:\n  annotations:\n    consul.hashicorp.com/connect-service: web\n"
          + "    consul.hashicorp.com/connect-service-port: '80'\n";

  private static AgentSpec parse(String yaml) {
    return new SpecLoader().parse(yaml.getBytes(StandardCharsets.UTF_8));
  }

  static Stream<Arguments> injected() {
    return Stream.of(
        // class: control characters that end a unit line (systemd: \n, \r and NUL)
        Arguments.of(
            "env CR",
            SERVER + APP + "  environment: {A: \"x\\rExecStartPre=+/bin/sh -c id\"}\n",
            "app.environment.A"),
        Arguments.of(
            "env LF",
            SERVER + APP + "  environment: {A: \"x\\nExecStartPre=+/bin/sh\"}\n",
            "app.environment.A"),
        Arguments.of(
            "env NUL escape",
            SERVER + APP + "  environment: {A: \"x\\0y\"}\n",
            "app.environment.A"),
        Arguments.of(
            "env literal block",
            SERVER + APP + "  environment:\n    A: |\n      x\n      ExecStartPre=+/bin/sh\n",
            "app.environment.A"),
        Arguments.of(
            "env NEL", SERVER + APP + "  environment: {A: \"x\\Ny\"}\n", "app.environment.A"),
        Arguments.of(
            "env LS", SERVER + APP + "  environment: {A: \"x\\Ly\"}\n", "app.environment.A"),
        Arguments.of(
            "env bidi", SERVER + APP + "  environment: {A: \"x\\u202Ey\"}\n", "app.environment.A"),
        Arguments.of(
            "env ESC", SERVER + APP + "  environment: {A: \"\\e[2J\"}\n", "app.environment.A"),
        Arguments.of(
            "env tab", SERVER + APP + "  environment: {A: \"x\\ty\"}\n", "app.environment.A"),
        Arguments.of(
            "env name", SERVER + APP + "  environment: {\"A=B\": x}\n", "app.environment.A=B"),
        Arguments.of(
            "env name newline",
            SERVER + APP + "  environment: {\"A\\rB\": x}\n",
            "app.environment"),
        Arguments.of(
            "args CR",
            SERVER + APP + "  args: [ok, \"x\\rExecStartPre=+/bin/sh\"]\n",
            "app.args[1]"),
        Arguments.of("args LF", SERVER + APP + "  args: [\"x\\ny\"]\n", "app.args[0]"),
        Arguments.of("args NUL", SERVER + APP + "  args: [\"x\\x00y\"]\n", "app.args[0]"),
        Arguments.of("args DEL", SERVER + APP + "  args: [\"x\\x7fy\"]\n", "app.args[0]"),
        Arguments.of("args BOM", SERVER + APP + "  args: [\"x\\uFEFFy\"]\n", "app.args[0]"),
        Arguments.of("args mapping", SERVER + APP + "  args: [{a: b}]\n", "app.args[0]"),
        Arguments.of(
            "name CR",
            SERVER
                + "app:\n  name: \"web\\rExecStartPre=x\"\n  url: https://x.example/w\n  sha256: "
                + "0".repeat(64)
                + "\n",
            "app.name"),
        Arguments.of(
            "name space",
            SERVER
                + "app:\n  name: web x\n  url: https://x.example/w\n  sha256: "
                + "0".repeat(64)
                + "\n",
            "app.name"),
        Arguments.of("binary slash", SERVER + APP + "  binary: ../../etc/cron.d/x\n", "app.binary"),
        Arguments.of("binary CR", SERVER + APP + "  binary: \"w\\rx\"\n", "app.binary"),
        Arguments.of(
            "url CRLF",
            SERVER
                + "app:\n  name: web\n  url: \"https://x.example/w\\r\\nHost: evil\"\n  sha256: "
                + "0".repeat(64)
                + "\n",
            "app.url"),
        Arguments.of(
            "mirror LF", SERVER + "downloads: {mirror: \"/srv\\nx\"}\n", "downloads.mirror"),
        Arguments.of("key with CR", SERVER + "dns: {\"mode\\r\": auto}\n", "dns.mode"),
        Arguments.of(
            "extra_config value NUL",
            "consul: {role: server, extra_config: {log_file: \"/tmp/x\\0\"}}\n",
            "consul.extra_config.log_file"),
        Arguments.of(
            "retry_join CR",
            "consul: {role: client, retry_join: [\"10.0.0.1\\rx\"]}\n",
            "consul.retry_join[0]"),
        Arguments.of(
            "node_name LF", "consul: {role: server, node_name: \"a\\nb\"}\n", "consul.node_name"),
        // class: annotation values that reach the envoy env file and Envoy's command line
        Arguments.of(
            "scrape path newline",
            SERVER
                + ANN
                + "    consul.hashicorp.com/enable-metrics: 'true'\n"
                + "    consul.hashicorp.com/prometheus-scrape-path: \"/m\\n"
                + "LD_PRELOAD=/tmp/x.so\"\n",
            "prometheus-scrape-path"),
        Arguments.of(
            "scrape path space",
            SERVER
                + ANN
                + "    consul.hashicorp.com/enable-metrics: 'true'\n"
                + "    consul.hashicorp.com/prometheus-scrape-path: '/m -envoy-binary=/tmp/evil'\n",
            "prometheus-scrape-path"),
        Arguments.of(
            "scrape path quote",
            SERVER + ANN + "    consul.hashicorp.com/prometheus-scrape-path: '/m\"x'\n",
            "prometheus-scrape-path"),
        Arguments.of(
            "extra args NUL",
            SERVER + ANN + "    consul.hashicorp.com/envoy-extra-args: \"--a\\0b\"\n",
            "envoy-extra-args"),
        Arguments.of(
            "extra args NEL",
            SERVER + ANN + "    consul.hashicorp.com/envoy-extra-args: \"--a\\Nb\"\n",
            "envoy-extra-args"),
        Arguments.of(
            "extra args quoted space",
            SERVER + ANN + "    consul.hashicorp.com/envoy-extra-args: \"'--a b'\"\n",
            "envoy-extra-args"),
        Arguments.of(
            "meta CR",
            SERVER + ANN + "    consul.hashicorp.com/service-meta-x: \"a\\rb\"\n",
            "service-meta-x"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("injected")
  void injectedDirectives_areRefused_namingTheField(String name, String yaml, String field) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining(field);
  }

  static Stream<Arguments> reserved() {
    String app = SERVER + "app:\n  url: https://x.example/w\n  sha256: " + "0".repeat(64) + "\n";
    return Stream.of(
        // class: names that collide with units, users and programs we (or the system) manage
        Arguments.of("name consul", app + "  name: consul\n  binary: web\n", "app.name"),
        Arguments.of("name envoy", app + "  name: envoy\n  binary: web\n", "app.name"),
        Arguments.of(
            "name sidecar-init", app + "  name: consul-sidecar-init\n  binary: web\n", "app.name"),
        Arguments.of("name agent", app + "  name: consul-vm-agent\n  binary: web\n", "app.name"),
        Arguments.of("name root", app + "  name: root\n  binary: web\n", "app.name"),
        Arguments.of("name sshd", app + "  name: ssh\n  binary: web\n", "app.name"),
        Arguments.of(
            "name systemd unit", app + "  name: systemd-journald\n  binary: web\n", "app.name"),
        Arguments.of(
            "binary launcher", app + "  name: web\n  binary: consul-vm-agent\n", "app.binary"),
        Arguments.of("binary consul", app + "  name: web\n  binary: consul\n", "app.binary"),
        Arguments.of("binary java", app + "  name: web\n  binary: java\n", "app.binary"),
        Arguments.of("binary systemctl", app + "  name: web\n  binary: systemctl\n", "app.binary"),
        Arguments.of(
            "binary iptables-restore",
            app + "  name: web\n  binary: iptables-restore\n",
            "app.binary"),
        Arguments.of("binary sh", app + "  name: web\n  binary: sh\n", "app.binary"),
        Arguments.of(
            "mesh service consul",
            SERVER + "service: {name: consul, port: 8500}\n",
            "service.name"),
        Arguments.of(
            "mesh service consul by annotation",
            SERVER
                + "service:\n  annotations:\n    consul.hashicorp.com/connect-service: consul\n"
                + "    consul.hashicorp.com/connect-service-port: '80'\n",
            "connect-service (line 4)"),
        Arguments.of("binary from name", app + "  name: java\n", "app.name"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("reserved")
  void reservedNames_areRefused(String name, String yaml, String field) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining(field)
        .hasMessageContaining("reserved");
  }

  @Test
  void ordinaryNames_areAccepted() {
    AgentSpec s =
        parse(
            SERVER
                + "app:\n  name: consul-template\n  url: https://x.example/w\n  sha256: "
                + "0".repeat(64)
                + "\n  binary: web-service\n");
    assertThat(s.app().orElseThrow().binaryPath()).isEqualTo("/usr/local/bin/web-service");
  }

  static Stream<Arguments> managed() {
    return Stream.of(
        // class: extra_config overriding what the agent manages (case-insensitive, as Consul reads)
        Arguments.of("connect off", "connect: {enabled: false}", "consul.extra_config.connect"),
        Arguments.of("Connect off", "Connect: {enabled: false}", "consul.extra_config.Connect"),
        Arguments.of("grpc off", "ports: {grpc: -1}", "consul.extra_config.ports"),
        Arguments.of("PORTS", "PORTS: {http: 1}", "consul.extra_config.PORTS"),
        Arguments.of("datacenter", "datacenter: 'dc/1'", "consul.extra_config.datacenter"),
        Arguments.of("server", "server: true", "consul.extra_config.server"),
        Arguments.of("bind", "bind_addr: 0.0.0.0", "consul.extra_config.bind_addr"),
        Arguments.of("client", "client_addr: 0.0.0.0", "consul.extra_config.client_addr"),
        Arguments.of("addresses", "addresses: {http: 0.0.0.0}", "consul.extra_config.addresses"),
        Arguments.of("data_dir", "data_dir: /tmp", "consul.extra_config.data_dir"),
        Arguments.of("encrypt", "encrypt: abc", "consul.extra_config.encrypt"),
        Arguments.of("acl", "acl: {enabled: true}", "consul.extra_config.acl"),
        Arguments.of("legacy acl", "acl_token: abc", "consul.extra_config.acl_token"),
        Arguments.of("ui_config", "ui_config: {enabled: true}", "consul.extra_config.ui_config"),
        Arguments.of("domain", "domain: evil", "consul.extra_config.domain"),
        Arguments.of(
            "case duplicate",
            "log_level: INFO, LOG_LEVEL: DEBUG",
            "consul.extra_config.LOG_LEVEL"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("managed")
  void extraConfig_managedKeys_areRefused_namingTheKey(String name, String extra, String field) {
    assertThatThrownBy(() -> parse("consul: {role: server, extra_config: {" + extra + "}}\n"))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining(field);
  }

  @Test
  void extraConfig_everyKeyTheAgentWrites_isRefused() {
    // the class, not a list: whatever render/ConsulConfig writes may not be overridden
    // (log_level and performance are defaults, not something the mesh depends on)
    AgentSpec full =
        parse(
            "consul: {role: server, node_name: n1, bind_addr: 192.0.2.1, advertise_addr: 192.0.2.1,"
                + " retry_join: [192.0.2.2], encrypt: pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=,"
                + " acl_token: 0123456789abcdef}\n");
    Set<String> written = new TreeSet<>(ConsulConfig.agent(full.consul()).keySet());
    written.addAll(ConsulConfig.secrets(full.consul()).keySet());
    written.remove("log_level");
    written.remove("performance"); // a server's raft_multiplier 1: a default, overridable
    assertThat(written).contains("connect", "ports", "datacenter", "encrypt", "acl");
    for (String key : written) {
      for (String spelling : new String[] {key, key.toUpperCase(Locale.ROOT)}) {
        assertThatThrownBy(
                () -> parse("consul: {role: server, extra_config: {" + spelling + ": x}}\n"))
            .as(spelling)
            .hasMessageContaining("consul.extra_config." + spelling)
            .hasMessageContaining("managed");
      }
    }
  }

  @Test
  void extraConfig_serviceDefinitions_mayNotTakeTheMeshServicesName() {
    String mesh = "service: {name: web, port: 80}\n";
    assertThatThrownBy(
            () ->
                parse(
                    "consul: {role: server, extra_config: {services: [{name: other},"
                        + " {name: web, port: 1}]}}\n"
                        + mesh))
        .hasMessageContaining("consul.extra_config.services (line 1)");
    assertThatThrownBy(
            () ->
                parse(
                    "consul: {role: server, extra_config: {Service: {ID: web-sidecar-proxy}}}\n"
                        + mesh))
        .hasMessageContaining("consul.extra_config.Service");
    assertThat(
            parse(
                    "consul: {role: server, extra_config: {services: [{name: node-exporter, port:"
                        + " 9100}]}}\n"
                        + mesh)
                .consul()
                .extraConfig())
        .containsKey("services");
  }

  @Test
  void extraConfig_scriptChecksOrRemoteExec_withRemoteHttp_areRefused() {
    assertThatThrownBy(
            () ->
                parse(
                    "consul: {role: server, client_addr: 0.0.0.0, extra_config:"
                        + " {enable_script_checks: true}}\n"))
        .hasMessageContaining("consul.extra_config.enable_script_checks")
        .hasMessageContaining("RCE");
    assertThatThrownBy(
            () ->
                parse(
                    "consul: {role: server, client_addr: 10.1.2.3, extra_config:"
                        + " {Enable_Script_Checks: true}}\n"))
        .hasMessageContaining("consul.extra_config.Enable_Script_Checks");
    assertThatThrownBy(
            () ->
                parse(
                    "consul: {role: server, client_addr: '::', extra_config: {disable_remote_exec:"
                        + " false}}\n"))
        .hasMessageContaining("consul.extra_config.disable_remote_exec");
    // loopback only, or writes limited to loopback (Consul's own condition): allowed
    assertThat(
            parse("consul: {role: server, extra_config: {enable_script_checks: true}}\n")
                .consul()
                .extraConfig())
        .containsEntry("enable_script_checks", true);
    assertThat(
            parse(
                    "consul: {role: server, client_addr: 0.0.0.0, extra_config:"
                        + " {enable_script_checks: true, http_config: {allow_write_http_from:"
                        + " [127.0.0.0/8]}}}\n")
                .consul()
                .extraConfig())
        .containsKey("http_config");
    assertThat(
            parse(
                    "consul: {role: server, client_addr: 0.0.0.0, extra_config:"
                        + " {enable_script_checks: false, log_level: DEBUG}}\n")
                .consul()
                .extraConfig())
        .containsEntry("log_level", "DEBUG");
  }

  /** Issue 20: local script checks with the HTTP API on the network are refused too. */
  @Test
  void extraConfig_localScriptChecks_withRemoteHttp_areRefused_loopbackAllowed() {
    for (String addr : new String[] {"0.0.0.0", "10.1.2.3", "'::'"}) {
      assertThatThrownBy(
              () ->
                  parse(
                      "consul: {role: server, client_addr: "
                          + addr
                          + ", extra_config: {Enable_Local_Script_Checks: true}}\n"))
          .isInstanceOf(SpecException.class)
          .hasMessageContaining("consul.extra_config.Enable_Local_Script_Checks")
          .hasMessageContaining("consul.client_addr");
    }
    assertThat(
            parse("consul: {role: server, extra_config: {enable_local_script_checks: true}}\n")
                .consul()
                .extraConfig())
        .containsEntry("enable_local_script_checks", true);
    assertThat(
            parse(
                    "consul: {role: server, client_addr: 0.0.0.0, extra_config:"
                        + " {enable_local_script_checks: true, http_config: {allow_write_http_from:"
                        + " [127.0.0.0/8]}}}\n")
                .consul()
                .extraConfig())
        .containsKey("http_config");
  }

  static Stream<Arguments> names() {
    return Stream.of(
        // Consul: datacenter [a-z0-9_-]; node name a DNS label (hashicorp/consul
        // agent/config/builder.go)
        Arguments.of("dc slash", "datacenter: 'dc/1'", "consul.datacenter"),
        Arguments.of("dc upper", "datacenter: DC1", "consul.datacenter"),
        Arguments.of("dc dot", "datacenter: dc.1", "consul.datacenter"),
        Arguments.of("dc empty", "datacenter: ''", "consul.datacenter"),
        Arguments.of("node dot", "node_name: a.b", "consul.node_name"),
        Arguments.of("node underscore", "node_name: a_b", "consul.node_name"),
        Arguments.of("node long", "node_name: " + "a".repeat(64), "consul.node_name"),
        Arguments.of("node trailing dash", "node_name: a-", "consul.node_name"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void consulNames_followConsulsRules(String name, String setting, String field) {
    assertThatThrownBy(() -> parse("consul: {role: server, " + setting + "}\n"))
        .hasMessageContaining(field);
  }

  static Stream<Arguments> parser() {
    StringBuilder scalarBomb =
        new StringBuilder("consul: {role: server}\nx: &a " + "y".repeat(100) + "\nz: [");
    for (int i = 0; i < 150_000; i++) scalarBomb.append("*a,");
    scalarBomb.append("*a]\n");
    StringBuilder depth = new StringBuilder("consul: {role: server}\n");
    String prev = "x";
    depth.append("a0: &a0 [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n");
    for (int i = 1; i < 10; i++) {
      depth
          .append("a")
          .append(i)
          .append(": &a")
          .append(i)
          .append(" [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[*a")
          .append(i - 1)
          .append("]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n");
    }
    StringBuilder textBomb =
        new StringBuilder("consul: {role: server}\nx: &a " + "y".repeat(1000) + "\nz: [");
    textBomb.append("*a,".repeat(5000)).append("*a]\n");
    StringBuilder listBomb = new StringBuilder("consul: {role: server}\nx: &a [");
    listBomb.append("1,".repeat(6000)).append("1]\nz: [").append("*a,".repeat(18)).append("*a]\n");
    return Stream.of(
        // class: limits that counted the wrong thing
        Arguments.of("scalar alias x150000", scalarBomb.toString(), "more than 100000 values"),
        Arguments.of("scalar alias to 5 MiB", textBomb.toString(), "MiB of text"),
        Arguments.of("collection aliases to 114000", listBomb.toString(), "expands"),
        Arguments.of("alias depth", depth.toString(), "levels"),
        Arguments.of(
            "duplicate top key",
            "consul: {role: server}\nconsul: {role: client}\n",
            "duplicate key"),
        Arguments.of(
            "duplicate nested key",
            "consul:\n  role: server\n  role: client\n",
            "consul.role (line 3): duplicate key"),
        Arguments.of(
            "duplicate in extra",
            "consul: {role: server, extra_config: {a: 1, a: 2}}\n",
            "consul.extra_config.a"),
        Arguments.of(
            "complex key", "consul: {role: server}\n? [a, b]\n: c\n", "keys must be plain strings"),
        Arguments.of(
            "merge key", "consul: {role: server}\nb: &b {x: 1}\nc: {<<: *b}\n", "not allowed"),
        Arguments.of("float inf", "consul: {role: server, extra_config: {x: .inf}}\n", null),
        Arguments.of(
            "annotation without value",
            SERVER + ANN + "    consul.hashicorp.com/service-tags:\n",
            "service.annotations.consul.hashicorp.com/service-tags"),
        Arguments.of(
            "meta without value",
            SERVER + "service: {name: web, port: 80, meta: {a: }}\n",
            "service.meta.a"),
        Arguments.of(
            "hex int",
            "consul: {role: server, bootstrap_expect: 0x1}\n",
            "consul.bootstrap_expect"),
        Arguments.of(
            "huge int",
            "consul: {role: server, bootstrap_expect: 99999999999999999999999}\n",
            "consul.bootstrap_expect"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("parser")
  void parserLimits_areConfigErrors(String name, String yaml, String expected) {
    if (expected == null) {
      parse(yaml); // accepted, but never an internal error
      return;
    }
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining(expected);
  }

  @Test
  void errorMessages_neverEchoAHugeValue_orAControlCharacter() {
    String huge = "x".repeat(900_000);
    for (String yaml :
        new String[] {
          "consul: {role: server, datacenter: " + huge + "}\n",
          "consul: {role: " + huge + "}\n",
          "consul: {role: server, version: " + huge + "}\n",
          "consul: {role: server}\n" + huge + ": 1\n",
          SERVER + ANN + "    consul.hashicorp.com/connect-service-upstreams: '" + huge + "'\n",
          SERVER + ANN + "    consul.hashicorp.com/transparent-proxy: '" + huge + "'\n"
        }) {
      assertThatThrownBy(() -> parse(yaml))
          .isInstanceOf(SpecException.class)
          .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(2_000));
    }
    assertThatThrownBy(() -> parse("consul: {role: \"\\e]0;owned\\a\"}\n"))
        .satisfies(
            e -> assertThat(e.getMessage()).doesNotContain("\u001b").doesNotContain("\u0007"));
  }

  @Test
  void everyError_isReportedAtOnce_withItsLine() {
    String yaml =
        """
        consul:
          role: leader
          datacenter: DC/1
          bind_addr: 300.0.0.1
          retry_join: [ok.example, 'a;b']
        envoy:
          admin_port: 70000
          colour: blue
        app:
          name: consul
          url: ftp://x
          sha256: abc
          args: ["a\\rb"]
        dns: {mode: magic}
        """;
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(SpecException.class)
        .satisfies(
            e -> {
              SpecException s = (SpecException) e;
              assertThat(s.problems())
                  .extracting(SpecException::path)
                  .contains(
                      "consul.role",
                      "consul.datacenter",
                      "consul.bind_addr",
                      "consul.retry_join[1]",
                      "envoy.admin_port",
                      "envoy.colour",
                      "app.name",
                      "app.url",
                      "app.sha256",
                      "app.args[0]",
                      "dns.mode");
              assertThat(s.problems()).allMatch(p -> p.line() > 0, "every problem has a line");
              assertThat(s.getMessage())
                  .startsWith("11 problems:")
                  .contains(
                      "consul.role (line 2)",
                      "envoy.colour (line 8)",
                      "app.args[0] (line 13)",
                      "dns.mode (line 14)");
            });
  }

  @Test
  void annotationErrors_allReported_withTheirLines() {
    String yaml =
        SERVER
            + """
            service:
              annotations:
                consul.hashicorp.com/connect-service: 'w;b'
                consul.hashicorp.com/connect-service-port: '80'
                consul.hashicorp.com/transparent-proxy: maybe
                consul.hashicorp.com/transparent-proxy-exclude-inbound-ports: '70000'
                consul.hashicorp.com/transparent-proxy-exclude-uids: root
            """;
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(SpecException.class)
        .satisfies(
            e -> {
              SpecException s = (SpecException) e;
              assertThat(s.getMessage())
                  .startsWith("4 problems")
                  .contains(
                      "service.annotations.consul.hashicorp.com/connect-service (line 4)",
                      "service.annotations.consul.hashicorp.com/transparent-proxy (line 6)",
                      "service.annotations.consul.hashicorp.com/transparent-proxy-exclude-inbound-ports"
                          + " (line 7)",
                      "service.annotations.consul.hashicorp.com/transparent-proxy-exclude-uids"
                          + " (line 8)");
            });
  }

  @Test
  void simpleFormErrors_allReported_withTheirLines() {
    String yaml =
        SERVER
            + """
            service:
              name: 'web;ls'
              port: 0
              tags: {a: b}
              meta: {a: [1]}
              transparent_proxy: maybe
            """;
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(SpecException.class)
        .satisfies(
            e ->
                assertThat(e.getMessage())
                    .startsWith("5 problems")
                    .contains(
                        "service.name (line 3)",
                        "service.port (line 4)",
                        "service.tags (line 5)",
                        "service.meta.a (line 6)",
                        "service.transparent_proxy (line 7)"));
  }

  @Test
  void crlfLineEndings_areNotControlCharacters() throws Exception {
    String yaml =
        new String(Files.readAllBytes(Path.of("examples/dashboard.yaml"))).replace("\n", "\r\n");
    assertThat(parse(yaml).app().orElseThrow().environment()).containsEntry("PORT", "9002");
  }

  @Test
  void clientWithEmptyJoinList_isRefused() {
    assertThatThrownBy(() -> parse("consul: {role: client, retry_join: []}\n"))
        .hasMessageContaining("consul.retry_join")
        .hasMessageContaining("at least one server");
  }

  @Test
  void serviceConfigFile_reportsEveryError_withLines_andRefusesControlCharacters() {
    String json =
        """
        {"annotations": {
          "consul.hashicorp.com/connect-service": "web",
          "consul.hashicorp.com/connect-service-port": "x",
          "consul.hashicorp.com/transparent-proxy": "maybe",
          "consul.hashicorp.com/service-meta-a": "x\\u000dy"
        }}
        """;
    assertThatThrownBy(() -> SpecLoader.serviceConfig(json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SpecException.class)
        .hasMessageStartingWith("3 problems")
        .hasMessageContaining("connect-service-port (line 3)")
        .hasMessageContaining("transparent-proxy (line 4)")
        .hasMessageContaining("service-meta-a (line 5)");
    assertThat(
            SpecLoader.serviceConfig("{\"name\": \"web\", \"port\": 80}".getBytes()).mesh().name())
        .isEqualTo("web");
  }

  @Test
  void tensOfThousandsOfErrors_areCountedQuickly_andListedInPart() {
    StringBuilder yaml = new StringBuilder("consul: {role: server}\n");
    for (int i = 0; i < 40_000; i++) yaml.append('k').append(i).append(": 1\n");
    StringBuilder env = new StringBuilder(SERVER + APP + "  environment:\n");
    for (int i = 0; i < 20_000; i++) env.append("    1k").append(i).append(": x\n");
    StringBuilder extra = new StringBuilder("consul:\n  role: server\n  extra_config:\n");
    for (int i = 0; i < 15_000; i++)
      extra.append("    k").append(i).append(": 1\n    K").append(i).append(": 1\n");
    long start = System.nanoTime();
    assertThatThrownBy(() -> parse(env.toString())).hasMessageStartingWith("20000 problems");
    assertThatThrownBy(() -> parse(extra.toString())).hasMessageStartingWith("15000 problems");
    assertThatThrownBy(() -> parse(yaml.toString()))
        .hasMessageStartingWith("40000 problems")
        .hasMessageContaining("… and 39950 more")
        .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(20_000));
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(10_000);
  }

  @Test
  void randomMutationsOfTheExamples_areSpecExceptionsOrValid() throws Exception {
    Random r = new Random(42);
    byte[] chars =
        "()+,:;[]{}&*!|>'\"%@`#\n\r\t -=/\\0AZaz~?<".getBytes(StandardCharsets.ISO_8859_1);
    for (String f : new String[] {"consul-server", "dashboard", "counting"}) {
      byte[] base = Files.readAllBytes(Path.of("examples", f + ".yaml"));
      for (int i = 0; i < 1500; i++) {
        byte[] b = base.clone();
        for (int k = 0; k < 1 + r.nextInt(3); k++)
          b[r.nextInt(b.length)] = chars[r.nextInt(chars.length)];
        try {
          new SpecLoader().parse(b);
        } catch (SpecException expected) {
          assertThat(expected.getMessage()).doesNotContain("\r").doesNotContain("\u0000");
        }
      }
    }
  }

  @Test
  void unknownKeys_allReported() {
    assertThatThrownBy(
            () -> parse("consul: {role: server, colour: red, size: 3}\nfoo: 1\nbar: 2\n"))
        .hasMessageContaining("4 problems")
        .hasMessageContaining("consul.colour")
        .hasMessageContaining("consul.size")
        .hasMessageContaining("foo (line 2)")
        .hasMessageContaining("bar (line 3)");
  }
}
