package dev.consulvmagent.fleet;

import dev.consulvmagent.spec.FleetSpec;

/**
 * The KV layout of one group (README "Fleet rollouts"), under the prefix P (default {@code
 * consul-vm-agent/}) and group G:
 *
 * <pre>
 * P/groups/G/spec/desired     {"revision", "overlay" (YAML text), "policy", "pushed_at", "base_revision"}
 * P/groups/G/spec/control     {"paused", "promoted", "halted": {"revision","node","message","at"}|null}
 * P/groups/G/spec/canaries    {"revision", "nodes": [...]}  canary places taken for a revision
 * P/groups/G/revisions/N      the desired document of revision N (for rollback and revert)
 * P/groups/G/nodes/NODE       {"revision","state","since","message","healthy_revision"}
 * P/groups/G/lock/            Consul's semaphore (api/semaphore.go): SESSION keys and .lock
 * </pre>
 *
 * Watchers block on {@code spec/} only: a node's report never wakes the others.
 */
public record FleetKeys(String prefix, String group) {
  public FleetKeys {
    if (!FleetSpec.isPrefix(prefix)) throw new IllegalArgumentException("bad KV prefix " + prefix);
    if (!FleetSpec.isGroup(group)) throw new IllegalArgumentException("bad group " + group);
  }

  public String root() {
    return FleetSpec.groupRoot(prefix, group);
  }

  public String spec() {
    return root() + "spec/";
  }

  public String desired() {
    return spec() + "desired";
  }

  public String control() {
    return spec() + "control";
  }

  public String canaries() {
    return spec() + "canaries";
  }

  public String revisions() {
    return root() + "revisions/";
  }

  public String revision(long n) {
    return revisions() + n;
  }

  public String nodes() {
    return root() + "nodes/";
  }

  public String node(String name) {
    if (!isNodeName(name)) throw new IllegalArgumentException("bad node name " + name);
    return nodes() + name;
  }

  public String lock() {
    return root() + "lock/";
  }

  /** A Consul node name usable as one KV path segment. */
  public static boolean isNodeName(String n) {
    return n != null && n.matches("[A-Za-z0-9]([A-Za-z0-9._-]{0,126})?") && !n.contains("..");
  }

  /** Groups that exist: the keys listed under P/groups/ with ?keys&separator=/. */
  public static String groups(String prefix) {
    return prefix + "groups/";
  }
}
