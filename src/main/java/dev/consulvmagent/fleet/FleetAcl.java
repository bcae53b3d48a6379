package dev.consulvmagent.fleet;

/**
 * Least-privilege ACL rules (Consul 1.8 HCL policy syntax: website/pages/docs/acl/acl-rules.mdx at
 * v1.8.7; the longest matching rule wins, an exact {@code key} rule over a {@code key_prefix}).
 * Tested against the real 1.8.7 with default-deny ACLs (FleetAclRealTest).
 */
public final class FleetAcl {
  private FleetAcl() {}

  /**
   * The watcher of one node: read the group's desired state and revisions and the other reports;
   * write only its own report, the group's semaphore, and the two keys a watcher changes by
   * check-and-set (the halt and auto-promote marks in control, the canary places); a session on its
   * own node; read its own node's and the services' health. It cannot push, pause or resume (the
   * desired key is read-only), nor report for another node.
   */
  public static String watcherRules(FleetKeys k, String node) {
    if (!FleetKeys.isNodeName(node)) throw new IllegalArgumentException("bad node name " + node);
    return rules(
        k,
        rule("key_prefix", k.nodes(), "read") + rule("key", k.node(node), "write"),
        rule("session", node, "write"),
        rule("node", node, "read"));
  }

  /**
   * The watchers of a whole group, for the role the secure bootstrap makes per group (issue 22):
   * {@link #watcherRules} with its two per-node rules widened, since Consul 1.8 has no templated
   * policies and a role is shared by the group (node identities grant only {@code node "N" write}
   * and service read: agent/structs/acl.go {@code aclPolicyTemplateNodeIdentity} at v1.8.7; a
   * binding rule can name a role, not make one). Its own report becomes every report of the group
   * ({@code nodes/} write); {@code session "N"} becomes {@code session_prefix ""} (a session is
   * checked against its node's name, agent/consul/session_endpoint.go Apply, and node names follow
   * no group pattern); {@code node "N"} read becomes {@code node_prefix ""} read (what every
   * client's DNS token already grants). Still: no write to {@code spec/desired} or {@code
   * revisions/} (no push), nothing of another group's keys. README "Fleet rollouts", ACLs, says
   * what remains.
   */
  public static String groupWatcherRules(FleetKeys k) {
    return rules(
        k,
        rule("key_prefix", k.nodes(), "write"),
        rule("session_prefix", "", "write"),
        rule("node_prefix", "", "read"));
  }

  /**
   * A watcher's rules: the group's keys it reads or changes by check-and-set, its slots and the
   * services' health, with the lines that differ between one node and a whole group: the reports it
   * may write, the sessions and the node it may read.
   */
  private static String rules(FleetKeys k, String reports, String sessions, String nodes) {
    return rule("key_prefix", k.spec(), "read")
        + rule("key", k.control(), "write")
        + rule("key", k.canaries(), "write")
        + rule("key_prefix", k.revisions(), "read")
        + reports
        + rule("key_prefix", k.lock(), "write")
        + sessions
        + nodes
        + rule("service_prefix", "", "read");
  }

  /** One rule line: {@code kind "name" { policy = "policy" }}. */
  private static String rule(String kind, String name, String policy) {
    return kind + " \"" + name + "\" { policy = \"" + policy + "\" }\n";
  }

  /**
   * The operator of one group: everything under the group's keys (fleet status without --group
   * lists every group: that needs key:read on PREFIX/groups/ too).
   */
  public static String operatorRules(FleetKeys k) {
    return rule("key_prefix", k.root(), "write");
  }
}
