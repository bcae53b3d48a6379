package dev.consulvmagent.secure;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.AclApi.NodeIdentity;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.spec.Secret;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The server's own agent token: the secret pre-set in {@code acl.tokens.agent} (security
 * .server_agent_token) must exist as a token with the node identity {@code <node>:<dc>}, else the
 * server logs "Node info update blocked by ACLs" (real 1.8.7, reference/real-consul.md). It can
 * only be created once a leader exists, with the management token. Observed by asking Consul about
 * the secret itself (GET /v1/acl/token/self), so nothing needs acl:read to see it.
 */
final class AgentTokenResource extends ClusterResource {
  static final String DESCRIPTION = "consul-vm-agent: agent token of server ";
  private final AclApi acl;
  private final Secret secret;
  private final String node;
  private final String datacenter;

  AgentTokenResource(AclApi acl, Secret secret, String node, String datacenter) {
    super("acl-token/agent/" + node);
    this.acl = acl;
    this.secret = secret;
    this.node = node;
    this.datacenter = datacenter;
  }

  @Override
  public State desired() {
    return state(node + ":" + datacenter);
  }

  private static State state(String identity) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("node_identity", identity);
    f.put("secret", "(pre-set)");
    return new State(f, Set.of("secret"));
  }

  @Override
  Optional<State> read(Host host) {
    return acl.tokenSelf(secret)
        .map(
            t ->
                state(
                    String.join(
                        ",",
                        t.nodeIdentities().stream()
                            .map(n -> n.nodeName() + ":" + n.datacenter())
                            .toList())));
  }

  @Override
  void write(Host host, Optional<State> current) {
    if (current.isPresent()) {
      // the secret exists with other identities: replace it (its accessor is ours to find)
      acl.tokenSelf(secret).ifPresent(t -> acl.deleteToken(t.accessorId()));
    }
    acl.createToken(
        new AclApi.NewToken(
            Optional.of(secret),
            DESCRIPTION + node,
            List.of(),
            List.of(),
            List.of(new NodeIdentity(node, datacenter))));
  }
}
