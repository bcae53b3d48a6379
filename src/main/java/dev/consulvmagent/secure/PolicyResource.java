package dev.consulvmagent.secure;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.ConsulBadAnswerException;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.Host;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** An ACL policy by name (ours: the name starts with consul-vm-agent-). */
final class PolicyResource extends ClusterResource {
  private final AclApi acl;
  private final String name;
  private final String description;
  private final String rules;

  PolicyResource(AclApi acl, String name, String description, String rules) {
    super("acl-policy/" + name);
    this.acl = acl;
    this.name = name;
    this.description = description;
    this.rules = rules;
  }

  @Override
  public State desired() {
    return state(description, rules);
  }

  private static State state(String description, String rules) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("description", description);
    f.put("rules", rules);
    return State.of(f);
  }

  @Override
  Optional<State> read(Host host) {
    return acl.policyByName(name).map(p -> state(p.description(), p.rules()));
  }

  @Override
  void write(Host host, Optional<State> current) {
    Optional<String> id = acl.policyByName(name).flatMap(AclApi.Policy::id);
    try {
      acl.writePolicy(new AclApi.Policy(id, name, description, rules));
    } catch (ConsulBadAnswerException raced) {
      // another server created it between our read and write (three servers boot together)
      Optional<String> now = acl.policyByName(name).flatMap(AclApi.Policy::id);
      if (now.isEmpty() || id.isPresent()) throw raced;
      acl.writePolicy(new AclApi.Policy(now, name, description, rules));
    }
  }
}
