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
    return "key_prefix \""
        + k.spec()
        + "\" { policy = \"read\" }\n"
        + "key \""
        + k.control()
        + "\" { policy = \"write\" }\n"
        + "key \""
        + k.canaries()
        + "\" { policy = \"write\" }\n"
        + "key_prefix \""
        + k.revisions()
        + "\" { policy = \"read\" }\n"
        + "key_prefix \""
        + k.nodes()
        + "\" { policy = \"read\" }\n"
        + "key \""
        + k.node(node)
        + "\" { policy = \"write\" }\n"
        + "key_prefix \""
        + k.lock()
        + "\" { policy = \"write\" }\n"
        + "session \""
        + node
        + "\" { policy = \"write\" }\n"
        + "node \""
        + node
        + "\" { policy = \"read\" }\n"
        + "service_prefix \"\" { policy = \"read\" }\n";
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
    return "key_prefix \""
        + k.spec()
        + "\" { policy = \"read\" }\n"
        + "key \""
        + k.control()
        + "\" { policy = \"write\" }\n"
        + "key \""
        + k.canaries()
        + "\" { policy = \"write\" }\n"
        + "key_prefix \""
        + k.revisions()
        + "\" { policy = \"read\" }\n"
        + "key_prefix \""
        + k.nodes()
        + "\" { policy = \"write\" }\n"
        + "key_prefix \""
        + k.lock()
        + "\" { policy = \"write\" }\n"
        + "session_prefix \"\" { policy = \"write\" }\n"
        + "node_prefix \"\" { policy = \"read\" }\n"
        + "service_prefix \"\" { policy = \"read\" }\n";
  }

  /**
   * The operator of one group: everything under the group's keys (fleet status without --group
   * lists every group: that needs key:read on PREFIX/groups/ too).
   */
  public static String operatorRules(FleetKeys k) {
    return "key_prefix \"" + k.root() + "\" { policy = \"write\" }\n";
  }
}
