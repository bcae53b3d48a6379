package dev.consulvmagent.secure;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.AclApi.NodeIdentity;
import dev.consulvmagent.consul.ConsulBadAnswerException;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.spec.Secret;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The server's own agent token: the secret pre-set in {@code acl.tokens.agent} (security
 * .server_agent_token, one for all servers of a mesh) must exist as a token with the node identity
 * {@code <node>:<dc>} among its identities, else the server logs "Node info update blocked by ACLs"
 * (real 1.8.7, reference/real-consul.md). It can only be created once a leader exists, with the
 * management token. Observed by asking Consul about the secret itself (GET /v1/acl/token/self), so
 * nothing needs acl:read to see it.
 */
final class AgentTokenResource extends ClusterResource {
  static final String DESCRIPTION = "consul-vm-agent: agent token of the servers";
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
    String mine = node + ":" + datacenter;
    return acl.tokenSelf(secret)
        .map(
            t -> {
              List<String> ids =
                  t.nodeIdentities().stream()
                      .map(n -> n.nodeName() + ":" + n.datacenter())
                      .toList();
              return state(
                  ids.contains(mine) ? mine : ids.isEmpty() ? "(none)" : String.join(",", ids));
            });
  }

  /**
   * mesh init makes one agent token for all the servers, so each server adds its own node identity
   * to the token and keeps the others'. Token updates have no check-and-set in 1.8: servers that
   * write at the same moment can drop each other's identity, so each writes until its own is seen
   * (and any later apply of the others' heals theirs).
   */
  @Override
  void write(Host host, Optional<State> current) {
    NodeIdentity mine = new NodeIdentity(node, datacenter);
    for (int round = 0; round < 10; round++) {
      Optional<AclApi.Token> t = acl.tokenSelf(secret);
      if (t.isPresent() && t.get().nodeIdentities().contains(mine)) return;
      try {
        if (t.isEmpty()) {
          acl.createToken(
              new AclApi.NewToken(
                  Optional.of(secret), DESCRIPTION, List.of(), List.of(), List.of(mine)));
        } else {
          List<NodeIdentity> ids = new ArrayList<>(t.get().nodeIdentities());
          ids.add(mine);
          acl.updateToken(
              t.get().accessorId(),
              new AclApi.NewToken(
                  Optional.empty(),
                  DESCRIPTION,
                  t.get().policies(),
                  t.get().serviceIdentities(),
                  ids));
        }
      } catch (ConsulBadAnswerException raced) {
        // another server created it first ("SecretID is already in use"): read again
      }
      try {
        Thread.sleep(100 + round * 100L);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
