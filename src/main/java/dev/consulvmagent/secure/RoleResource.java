package dev.consulvmagent.secure;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.ConsulBadAnswerException;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.Host;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An ACL role by name with policies by name. */
final class RoleResource extends ClusterResource {
  private final AclApi acl;
  private final String name;
  private final String description;
  private final List<String> policies;

  RoleResource(AclApi acl, String name, String description, List<String> policies) {
    super("acl-role/" + name);
    this.acl = acl;
    this.name = name;
    this.description = description;
    this.policies = List.copyOf(policies);
  }

  @Override
  public State desired() {
    return state(description, policies);
  }

  private static State state(String description, List<String> policies) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("description", description);
    f.put("policies", String.join(",", policies.stream().sorted().toList()));
    return State.of(f);
  }

  @Override
  Optional<State> read(Host host) {
    return acl.roleByName(name).map(r -> state(r.description(), r.policyNames()));
  }

  @Override
  void write(Host host, Optional<State> current) {
    Optional<String> id = acl.roleByName(name).flatMap(AclApi.Role::id);
    try {
      acl.writeRole(new AclApi.Role(id, name, description, policies));
    } catch (ConsulBadAnswerException raced) {
      Optional<String> now = acl.roleByName(name).flatMap(AclApi.Role::id);
      if (now.isEmpty() || id.isPresent()) throw raced;
      acl.writeRole(new AclApi.Role(now, name, description, policies));
    }
  }
}
