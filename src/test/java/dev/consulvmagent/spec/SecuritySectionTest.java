package dev.consulvmagent.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.render.ConsulConfig;
import dev.consulvmagent.render.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** security: as the loader reads it: role-bound keys, shapes, and no value in any message. */
class SecuritySectionTest {
  static final String CA =
      "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIRAKx0c2V0ZXN0dGVzdHRlc3R0ZXN0\n"
          + "-----END CERTIFICATE-----\n";
  static final String KEY =
      "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n"
          + "-----END PRIVATE KEY-----\n";
  static final String PUB =
      "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEsecretpublic\n"
          + "-----END PUBLIC KEY-----\n";
  static final String GOSSIP = "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=";
  static final String MGMT = "4f1e2f7c-9a55-4d3b-8c1e-2b7f0a6d9e11";
  static final String AGENT = "0b1e2f7c-9a55-4d3b-8c1e-2b7f0a6d9e22";
  static final String JWT = "eyJhbGciOiJFUzI1NiJ9.eyJub2RlIjoiYyJ9.c2lnbmF0dXJlc2lnbmF0dXJl";

  static String block(String key, String pem) {
    StringBuilder b = new StringBuilder("  " + key + ": |\n");
    for (String l : pem.split("\n")) b.append("    ").append(l).append('\n');
    return b.toString();
  }

  static String server(String extra) {
    return "consul: {role: server, node_name: s1}\nsecurity:\n  mode: secure\n"
        + block("ca_cert", CA)
        + block("server_cert", CA)
        + block("server_key", KEY)
        + "  gossip_key: \""
        + GOSSIP
        + "\"\n"
        + block("jwt_public_key", PUB)
        + "  management_token: \""
        + MGMT
        + "\"\n  server_agent_token: \""
        + AGENT
        + "\"\n"
        + extra;
  }

  static String client(String extra) {
    return "consul: {role: client, node_name: c1, retry_join: [192.0.2.10]}\nsecurity:\n"
        + block("ca_cert", CA)
        + "  intro_token: "
        + JWT
        + "\n"
        + extra;
  }

  static AgentSpec parse(String y) {
    return new SpecLoader().parse(y.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void server_andClient_areRead_withSecretsRedacted() {
    AgentSpec s = parse(server(""));
    assertThat(s.security().secure()).isTrue();
    assertThat(s.security().managementToken().orElseThrow().value()).isEqualTo(MGMT);
    assertThat(s.security().toString()).doesNotContain(MGMT, GOSSIP, AGENT, "MIGHAgEA");
    AgentSpec c = parse(client(""));
    assertThat(c.security().introToken().orElseThrow().value()).isEqualTo(JWT);
    assertThat(c.security().toString()).doesNotContain(JWT);
  }

  @Test
  void aClient_neverTakesAServersSecret() {
    assertThatThrownBy(() -> parse(client("  management_token: \"" + MGMT + "\"\n")))
        .hasMessageContaining("security.management_token")
        .hasMessageContaining("does not belong on a client")
        .hasMessageNotContaining(MGMT);
    assertThatThrownBy(() -> parse(client("  gossip_key: \"" + GOSSIP + "\"\n")))
        .hasMessageContaining("security.gossip_key")
        .hasMessageNotContaining(GOSSIP);
  }

  @Test
  void services_areForServers_andMustBeServiceNames() {
    assertThat(parse(server("  services: [counting, dashboard]\n")).security().services())
        .containsExactly("counting", "dashboard");
    assertThat(parse(server("")).security().services()).isEmpty();
    assertThatThrownBy(() -> parse(client("  services: [counting]\n")))
        .hasMessageContaining("security.services");
    assertThatThrownBy(() -> parse(server("  services: [\"a b\"]\n")))
        .hasMessageContaining("security.services[0]");
  }

  @Test
  void fleetGroups_areForServers_withTheirKvPrefix() {
    List<FleetSpec> g =
        parse(server("  fleet_groups: [dashboard, apps/fleet/web]\n")).security().fleetGroups();
    assertThat(g)
        .extracting(f -> f.kvPrefix() + " " + f.group())
        .containsExactly("consul-vm-agent/ dashboard", "apps/fleet/ web");
    assertThat(g).extracting(FleetSpec::groupEntry).containsExactly("dashboard", "apps/fleet/web");
    assertThat(parse(server("")).security().fleetGroups()).isEmpty();
    assertThatThrownBy(() -> parse(client("  fleet_groups: [dashboard]\n")))
        .hasMessageContaining("security.fleet_groups")
        .hasMessageContaining("fleet.group");
    assertThatThrownBy(() -> parse(server("  fleet_groups: [\"Dash board\"]\n")))
        .hasMessageContaining("security.fleet_groups[0]");
    assertThatThrownBy(() -> parse(server("  fleet_groups: [dashboard, x/dashboard]\n")))
        .hasMessageContaining("security.fleet_groups[1]")
        .hasMessageContaining("twice");
    // a group's keys under another group's nodes/ (which its watchers write): refused
    assertThatThrownBy(
            () -> parse(server("  fleet_groups: [a, consul-vm-agent/groups/a/nodes/b]\n")))
        .hasMessageContaining("security.fleet_groups[1]")
        .hasMessageContaining("one under the other");
    assertThatThrownBy(() -> parse(server("  fleet_groups: [apps/groups/a/spec/b, apps/a]\n")))
        .hasMessageContaining("security.fleet_groups[1]")
        .hasMessageContaining("one under the other");
    assertThat(
            parse(server("  fleet_groups: [apps/a, apps/ab, apps/groups/b]\n"))
                .security()
                .fleetGroups())
        .hasSize(3);
  }

  @Test
  void missingKeys_areNamed() {
    String noIntro = client("").replace("  intro_token: " + JWT + "\n", "");
    assertThatThrownBy(() -> parse(noIntro)).hasMessageContaining("security.intro_token");
    String noMgmt = server("").replace("  management_token: \"" + MGMT + "\"\n", "");
    assertThatThrownBy(() -> parse(noMgmt)).hasMessageContaining("security.management_token");
  }

  @Test
  void badValues_areRefused_withoutShowingThem() {
    String bad = server("").replace(MGMT, "not-a-uuid-but-a-secret");
    assertThatThrownBy(() -> parse(bad))
        .hasMessageContaining("security.management_token")
        .hasMessageNotContaining("not-a-uuid-but-a-secret");
    String badJwt = client("").replace(JWT, "secretsecret");
    assertThatThrownBy(() -> parse(badJwt))
        .hasMessageContaining("security.intro_token")
        .hasMessageNotContaining("secretsecret");
  }

  @Test
  void insecure_takesNoSecrets_andAbsentIsRefusedByRequireSecurity() {
    assertThatThrownBy(
            () ->
                parse(
                    "consul: {role: server}\nsecurity: {mode: insecure, "
                        + "management_token: \""
                        + MGMT
                        + "\"}\n"))
        .hasMessageContaining("security.management_token");
    assertThat(parse("consul: {role: server}\nsecurity: {mode: insecure}\n").security().mode())
        .isEqualTo(SecuritySpec.Mode.INSECURE);
    AgentSpec none = parse("consul: {role: server}\n");
    assertThatThrownBy(() -> SpecLoader.requireSecurity(none))
        .isInstanceOf(SpecException.class)
        .hasMessageStartingWith("security:");
  }

  @Test
  void legacyEncrypt_andScriptChecks_conflictWithSecure() {
    String both = server("").replace("role: server, ", "role: server, encrypt: " + GOSSIP + ", ");
    assertThatThrownBy(() -> parse(both)).hasMessageContaining("consul.encrypt");
    String scripts =
        server("")
            .replace(
                "role: server, ", "role: server, extra_config: {enable_script_checks: true}, ");
    assertThatThrownBy(() -> parse(scripts)).hasMessageContaining("enable_script_checks");
  }

  @Test
  void initialManagement_from111_master_before() {
    AgentSpec old = parse(server("").replace("role: server", "role: server, version: \"1.10.12\""));
    AgentSpec now = parse(server("").replace("role: server", "role: server, version: \"1.11.0\""));
    String o =
        new String(
            Json.render(ConsulConfig.secrets(old.consul(), old.security())),
            StandardCharsets.UTF_8);
    String n =
        new String(
            Json.render(ConsulConfig.secrets(now.consul(), now.security())),
            StandardCharsets.UTF_8);
    assertThat(o).contains("\"master\"").doesNotContain("initial_management");
    assertThat(n).contains("\"initial_management\"").doesNotContain("\"master\"");
  }
}
