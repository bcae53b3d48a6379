package dev.consulvmagent.secure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.consul.PostureApi.AgentSecurity;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The verdicts on an agent's settings (the facts come from the real agent in ClientMeshRealTest;
 * here each bad setting alone, with the field names 1.8.7's /v1/agent/self uses).
 */
class SecurityPostureTest {
  static final AgentSecurity GOOD =
      new AgentSecurity(true, true, true, true, true, "deny", false, false, true);

  static List<String> verdicts(boolean server, AgentSecurity s) {
    List<SecurityPosture.Item> out = new ArrayList<>();
    SecurityPosture.settings(out, server, s);
    return out.stream().map(i -> i.name() + "=" + i.level() + ": " + i.detail()).toList();
  }

  @Test
  void allGood_isOkEverywhere() {
    assertThat(verdicts(true, GOOD))
        .containsExactly(
            "gossip encryption=OK: encrypted",
            "TLS=OK: verify_incoming_rpc, verify_outgoing, verify_server_hostname",
            "ACL default policy=OK: deny",
            "script checks=OK: off (remote and local), remote exec off");
  }

  @Test
  void eachWeakness_isNamed() {
    assertThat(
            verdicts(
                true, new AgentSecurity(false, true, true, true, true, "deny", false, false, true)))
        .contains(
            "gossip encryption=FAIL: gossip is in plain text: any host that reaches port 8301 can"
                + " join");
    assertThat(
            verdicts(
                true,
                new AgentSecurity(true, false, true, false, true, "deny", false, false, true)))
        .contains("TLS=FAIL: off: verify_incoming_rpc, verify_server_hostname");
    // a client serves no RPC: verify_incoming_rpc is not asked of it
    assertThat(
            verdicts(
                false,
                new AgentSecurity(true, false, true, true, true, "deny", false, false, true)))
        .contains("TLS=OK: verify_outgoing, verify_server_hostname");
    assertThat(
            verdicts(
                true, new AgentSecurity(true, true, true, true, true, "allow", false, false, true)))
        .contains("ACL default policy=WARN: allow (intentions default to allow as well)");
    assertThat(
            verdicts(
                true, new AgentSecurity(true, true, true, true, false, "", false, false, true)))
        .anyMatch(v -> v.startsWith("ACL default policy=FAIL: ACLs are off"));
    assertThat(
            verdicts(
                true, new AgentSecurity(true, true, true, true, true, "deny", true, false, false)))
        .anyMatch(
            v -> v.startsWith("script checks=FAIL: enable_script_checks is on, remote exec is on"));
    assertThat(
            verdicts(
                true, new AgentSecurity(true, true, true, true, true, "deny", false, true, true)))
        .contains(
            "script checks=WARN: local script checks on (by the config's opt-in); remote ones off");
  }
}
