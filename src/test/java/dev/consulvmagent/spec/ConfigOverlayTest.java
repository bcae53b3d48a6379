package dev.consulvmagent.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Issue 22: the overlay's allow-list and its merge (RFC 7386 merge-patch rules) over a config. */
class ConfigOverlayTest {
  static byte[] dashboard() throws IOException {
    return (Files.readString(Path.of("examples/dashboard.yaml")) + "fleet:\n  group: dashboard\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void anAnnotationChange_mergesKeyByKey_andKeepsEverythingElse() throws IOException {
    AgentSpec s =
        ConfigOverlay.apply(
            dashboard(),
            b(
                "service:\n  annotations:\n    consul.hashicorp.com/service-meta-team: blue\n"
                    + "consul:\n  version: \"1.16.6\"\n"));
    assertThat(s.service().get().mesh().meta()).containsEntry("team", "blue");
    assertThat(s.service().get().mesh().name()).isEqualTo("dashboard");
    assertThat(s.consul().retryJoin()).containsExactly("192.0.2.10");
    assertThat(s.consul().nodeName()).contains("dashboard");
    assertThat(s.fleet().get().group()).isEqualTo("dashboard");
    assertThat(s.app().get().port()).contains(9002);
  }

  @Test
  void nullRemovesTheApp_andAVersionKeepsItsExactText() throws IOException {
    byte[] base =
        b(new String(dashboard(), StandardCharsets.UTF_8).replace("\"1.26.8\"", "1.26.8"));
    AgentSpec s =
        ConfigOverlay.apply(base, b("app: null\nservice: null\nenvoy:\n  version: 1.26.8\n"));
    assertThat(s.app()).isEmpty();
    assertThat(s.service()).isEmpty();
    assertThat(s.envoy().version()).isEqualTo("1.26.8");
  }

  @Test
  void keysThatCouldCutTheVmOff_areRefusedByName_allAtOnce() throws IOException {
    assertThatThrownBy(
            () ->
                ConfigOverlay.apply(
                    dashboard(),
                    b(
                        "consul:\n  role: server\n  retry_join: [203.0.113.9]\n"
                            + "  datacenter: evil\n  bind_addr: 0.0.0.0\n  acl_token: x\n"
                            + "security: {mode: insecure}\nfleet: {group: other}\n"
                            + "downloads: {verify_signatures: false}\n")))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining("overlay.consul.role")
        .hasMessageContaining("overlay.consul.retry_join")
        .hasMessageContaining("overlay.consul.datacenter")
        .hasMessageContaining("overlay.consul.bind_addr")
        .hasMessageContaining("overlay.consul.acl_token")
        .hasMessageContaining("overlay.security")
        .hasMessageContaining("overlay.fleet")
        .hasMessageContaining("overlay.downloads")
        .hasMessageContaining("may not be changed by a fleet overlay");
  }

  @Test
  void anOverlayNeverTurnsOffDownloadVerification() throws IOException {
    assertThatThrownBy(
            () ->
                ConfigOverlay.apply(
                    dashboard(),
                    b("app:\n  url: https://example.org/x.zip\n  insecure_skip_checksum: true\n")))
        .hasMessageContaining("overlay.app.insecure_skip_checksum")
        .hasMessageContaining("never turns off download verification");
    // the dashboard example skips its checksum: a new URL must come with a digest
    assertThatThrownBy(
            () -> ConfigOverlay.apply(dashboard(), b("app:\n  url: https://example.org/x.zip\n")))
        .hasMessageContaining("overlay.app.url");
    AgentSpec ok =
        ConfigOverlay.apply(
            dashboard(),
            b(
                "app:\n  url: https://example.org/x.zip\n  insecure_skip_checksum: null\n  sha256: "
                    + "a".repeat(64)
                    + "\n"));
    assertThat(ok.app().get().insecureSkipChecksum()).isFalse();
  }

  @Test
  void removingConsulOrDns_isRefused() throws IOException {
    assertThatThrownBy(() -> ConfigOverlay.apply(dashboard(), b("consul: null\n")))
        .hasMessageContaining("overlay.consul (line 1): cannot be removed remotely");
    assertThatThrownBy(() -> ConfigOverlay.apply(dashboard(), b("dns: {mode: null}\n")))
        .hasMessageContaining("overlay.dns.mode");
  }

  @Test
  void anOverlayThatBreaksTheMergedConfig_isInvalid_namingTheKey() throws IOException {
    assertThatThrownBy(() -> ConfigOverlay.apply(dashboard(), b("dns:\n  mode: carrier-pigeon\n")))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining("dns.mode")
        .hasMessageContaining("with the overlay merged");
    assertThatThrownBy(
            () -> ConfigOverlay.apply(dashboard(), b("app:\n  url: ftp://example.org/x\n")))
        .hasMessageContaining("app.url");
  }

  @Test
  void hostileOverlays_areRefusedBeforeAnyMerge() throws IOException {
    assertThatThrownBy(() -> ConfigOverlay.check(b("- a\n- b\n")))
        .hasMessageContaining("must be a mapping");
    assertThatThrownBy(() -> ConfigOverlay.check(b("app: !!java.io.File x\n")))
        .hasMessageContaining("overlay (line 1)")
        .hasMessageContaining("tag is not allowed");
    assertThatThrownBy(() -> ConfigOverlay.check(new byte[ConfigOverlay.MAX_BYTES + 1]))
        .hasMessageContaining("larger than");
    assertThatThrownBy(() -> ConfigOverlay.check(b("app: {name: \"a\u0007b\"}\n")))
        .hasMessageStartingWith("overlay")
        .hasMessageContaining("not allowed");
    assertThatThrownBy(() -> ConfigOverlay.check(b("app: {name: \"a\\u200eb\"}\n")))
        .hasMessageContaining("overlay.app.name");
    // an empty overlay changes nothing
    assertThat(ConfigOverlay.apply(dashboard(), b("# nothing\n"))).isNotNull();
  }

  @Test
  void fleetBlock_validatesGroupPrefixAndTokenFile() throws IOException {
    String base =
        new String(dashboard(), StandardCharsets.UTF_8).replace("fleet:\n  group: dashboard\n", "");
    AgentSpec ok =
        new SpecLoader()
            .parse(
                b(base + "fleet:\n  group: web-1\n  kv_prefix: ops/cva/\n  token_file: /etc/t\n"));
    assertThat(ok.fleet().get().kvPrefix()).isEqualTo("ops/cva/");
    assertThat(ok.fleet().get().tokenFile()).contains(Path.of("/etc/t"));
    assertThat(new SpecLoader().parse(b(base + "fleet: {group: a}\n")).fleet().get().kvPrefix())
        .isEqualTo("consul-vm-agent/");
    assertThatThrownBy(
            () ->
                new SpecLoader()
                    .parse(
                        b(
                            base
                                + "fleet:\n"
                                + "  group: ../x\n"
                                + "  kv_prefix: /abs\n"
                                + "  token_file: rel\n"
                                + "  x: 1\n")))
        .hasMessageContaining("fleet.group")
        .hasMessageContaining("fleet.kv_prefix")
        .hasMessageContaining("fleet.token_file")
        .hasMessageContaining("fleet.x");
    assertThatThrownBy(() -> new SpecLoader().parse(b(base + "fleet: {kv_prefix: a/../b/}\n")))
        .hasMessageContaining("fleet.group");
    assertThat(FleetSpec.isPrefix("a/../b/")).isFalse();
    assertThat(FleetSpec.isPrefix("a//b/")).isFalse();
  }
}
