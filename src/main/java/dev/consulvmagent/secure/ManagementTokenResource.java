package dev.consulvmagent.secure;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.spec.Secret;
import java.util.Map;
import java.util.Optional;

/**
 * ACL bootstrap, once per cluster: the servers' {@code acl.tokens.master} bootstraps the ACL system
 * by itself when a leader is elected (real 1.8.7: "the master token works at once";
 * hashicorp/consul agent/consul/leader.go initializeACLs at v1.8.7 creates it), so this agent never
 * calls /v1/acl/bootstrap (a second call answers 403 "ACL bootstrap no longer allowed"). This
 * resource only checks that the management token is the cluster's; if not, it stops with what the
 * operator must do, and changes nothing.
 */
final class ManagementTokenResource extends ClusterResource {
  private final AclApi acl;
  private final Secret management;

  ManagementTokenResource(AclApi acl, Secret management) {
    super("acl-bootstrap");
    this.acl = acl;
    this.management = management;
  }

  @Override
  public State desired() {
    return State.of(Map.of("management_token", "accepted (global-management)"));
  }

  @Override
  Optional<State> read(Host host) {
    return Optional.of(
        State.of(
            Map.of(
                "management_token",
                acl.tokenSelf(management)
                    .map(
                        t ->
                            t.policies().contains("global-management")
                                ? "accepted (global-management)"
                                : "accepted, without global-management")
                    .orElse("not accepted"))));
  }

  @Override
  void write(Host host, Optional<State> current) {
    throw new IllegalStateException(
        "the servers do not accept security.management_token as a management token: the ACL"
            + " system was bootstrapped with another one (an older acl.tokens.master, or by hand)."
            + " Put that token in security.management_token, or reset ACLs (consul acl bootstrap"
            + " reset, docs: acl-system reset) — this agent never bootstraps ACLs itself");
  }
}
