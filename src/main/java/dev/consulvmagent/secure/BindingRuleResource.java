package dev.consulvmagent.secure;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.ConsulNotFoundException;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.Host;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One binding rule of our auth method. Binding rules have no name, only an ID Consul makes, so ours
 * are found by their Description (the mark); a rule someone else added to the method is never
 * touched. With three servers applying at once two could each create one: the extras with our mark
 * are removed (they are identical, so a login in between is unaffected).
 */
final class BindingRuleResource extends ClusterResource {
  private final AclApi acl;
  private final String method;
  private final String description;
  private final String bindType;
  private final String bindName;

  BindingRuleResource(
      AclApi acl, String method, String description, String bindType, String bindName) {
    super("acl-binding-rule/" + method + "/" + bindType + "/" + bindName);
    this.acl = acl;
    this.method = method;
    this.description = description;
    this.bindType = bindType;
    this.bindName = bindName;
  }

  @Override
  public State desired() {
    return state("", bindType, bindName, 1);
  }

  private static State state(String selector, String type, String name, int count) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("selector", selector.isEmpty() ? "(none)" : selector);
    f.put("bind_type", type);
    f.put("bind_name", name);
    f.put("copies", Integer.toString(count));
    return State.of(f);
  }

  private List<AclApi.BindingRule> ours() {
    return acl.bindingRules(method).stream()
        .filter(r -> r.description().equals(description))
        .toList();
  }

  @Override
  Optional<State> read(Host host) {
    List<AclApi.BindingRule> ours = ours();
    if (ours.isEmpty()) return Optional.empty();
    AclApi.BindingRule r = ours.get(0);
    return Optional.of(state(r.selector(), r.bindType(), r.bindName(), ours.size()));
  }

  @Override
  void write(Host host, Optional<State> current) {
    List<AclApi.BindingRule> ours = ours();
    Optional<String> keep = keeper(ours);
    acl.writeBindingRule(new AclApi.BindingRule(keep, method, description, "", bindType, bindName));
    // Servers that boot together can each create one (seen with three real 1.8.7 servers): a
    // server that read none just before this write creates its own just after. Every server keeps
    // the same one, the smallest ID, and removes the others; one copy must then hold for three
    // looks 200 ms apart, since such a create can land right after a look that saw one
    // (ServerBootstrapRealTest failed that way about every other run with a single look).
    int stable = 0;
    for (int round = 0; round < 40; round++) {
      ours = ours();
      if (ours.size() <= 1) {
        if (++stable >= 3) return;
      } else {
        stable = 0;
      }
      String keeper = keeper(ours).orElse("");
      for (AclApi.BindingRule r : ours)
        if (!r.id().orElse("").equals(keeper)) deleteQuietly(r.id().orElseThrow());
      try {
        Thread.sleep(200); // another server's create may still land
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static Optional<String> keeper(List<AclApi.BindingRule> rules) {
    return rules.stream()
        .map(r -> r.id().orElse(""))
        .filter(i -> !i.isEmpty())
        .sorted()
        .findFirst();
  }

  private void deleteQuietly(String id) {
    try {
      acl.deleteBindingRule(id);
    } catch (ConsulNotFoundException gone) {
      // another server removed it first
    }
  }
}
