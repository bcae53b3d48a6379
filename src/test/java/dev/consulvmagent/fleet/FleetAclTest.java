package dev.consulvmagent.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The rule texts to the byte: a policy whose rules change is a different policy on the servers
 * (PolicyResource rewrites it), so a refactoring must not change a character. What the rules allow
 * on the real 1.8.7 is FleetAclRealTest's and FleetTokenRealTest's.
 */
class FleetAclTest {
  final FleetKeys web = new FleetKeys("consul-vm-agent/", "web");

  /** Both watchers' rules, but for the reports (first %s) and the sessions and nodes (second). */
  static final String WATCHER =
      """
      key_prefix "consul-vm-agent/groups/web/spec/" { policy = "read" }
      key "consul-vm-agent/groups/web/spec/control" { policy = "write" }
      key "consul-vm-agent/groups/web/spec/canaries" { policy = "write" }
      key_prefix "consul-vm-agent/groups/web/revisions/" { policy = "read" }
      %skey_prefix "consul-vm-agent/groups/web/lock/" { policy = "write" }
      %sservice_prefix "" { policy = "read" }
      """;

  @Test
  void watcherRules_ofOneNode() {
    assertThat(FleetAcl.watcherRules(web, "web-1"))
        .isEqualTo(
            WATCHER.formatted(
                """
                key_prefix "consul-vm-agent/groups/web/nodes/" { policy = "read" }
                key "consul-vm-agent/groups/web/nodes/web-1" { policy = "write" }
                """,
                """
                session "web-1" { policy = "write" }
                node "web-1" { policy = "read" }
                """));
  }

  @Test
  void watcherRules_refuseANodeNameThatIsNoKeySegment() {
    assertThatThrownBy(() -> FleetAcl.watcherRules(web, "a/b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bad node name a/b");
  }

  @Test
  void groupWatcherRules_widenTheReportsSessionsAndNodes() {
    assertThat(FleetAcl.groupWatcherRules(web))
        .isEqualTo(
            WATCHER.formatted(
                """
                key_prefix "consul-vm-agent/groups/web/nodes/" { policy = "write" }
                """,
                """
                session_prefix "" { policy = "write" }
                node_prefix "" { policy = "read" }
                """));
  }

  @Test
  void operatorRules_ownTheGroupsKeys() {
    assertThat(FleetAcl.operatorRules(web))
        .isEqualTo("key_prefix \"consul-vm-agent/groups/web/\" { policy = \"write\" }\n");
  }
}
