package dev.consulvmagent.secure;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.spec.Secret;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A token a client keeps by {@code POST /v1/acl/login} with the machine's intro JWT against one of
 * the servers' auth methods, whose binding rule gives one role and nothing else: the agent's DNS
 * (default) token ({@link #dns}, issue 19) and the fleet watcher's token ({@link #fleet}, issue
 * 22). Kept in a 0600 root:root file under /var/lib/consul-vm-agent.
 *
 * <p>The DNS token: the host pass renders it into the agent's secrets file
 * (render.ConsulConfig#secrets) and reloads Consul with SIGHUP, which needs no token. Not {@code
 * PUT /v1/agent/token/default}: that needs acl:write (api-docs/agent.mdx, "Update ACL Tokens"),
 * which no client token has (real 1.8.7: 403 to the service token, SecureDnsRealTest). The fleet
 * token: {@code consul-vm-agent watch} reads it when it starts (app.Fleet#watch).
 *
 * <p>Reused while Consul accepts it with that role and nothing more; the login, its waits and the
 * token's renewal are {@link IntroLoginResource}'s (status says too when the servers no longer know
 * the token).
 */
final class LoginTokenResource extends IntroLoginResource {
  static final String DIR = "/var/lib/consul-vm-agent";
  static final int MODE = 0600;

  /** One kind of login token: where it is kept, which method and role make it, what it is for. */
  record Kind(
      String key, String path, String authMethod, String role, String what, String without) {
    /** What the token must grant, and nothing more: its one role. */
    String wanted() {
      return "role " + role;
    }
  }

  static final Kind DNS =
      new Kind(
          "acl-token/dns-default",
          DIR + "/dns-default.token",
          ServerBootstrap.DNS_AUTH_METHOD,
          ServerBootstrap.DNS_ROLE,
          "DNS (default) token",
          "Consul DNS (*.consul names) does not answer on this machine without it");

  /** The fleet watcher's token of group (issue 22). */
  static Kind fleet(String group) {
    return new Kind(
        "acl-token/fleet-watch",
        FLEET_PATH,
        ServerBootstrap.FLEET_AUTH_METHOD,
        ServerBootstrap.FLEET_ROLE_PREFIX + group,
        "fleet watcher token of group " + group,
        "consul-vm-agent-watch cannot follow the group's rollouts without it (the servers make"
            + " role "
            + ServerBootstrap.FLEET_ROLE_PREFIX
            + group
            + " only for a group in their security.fleet_groups: mesh user-data for a server"
            + " fills it from the client templates, then apply on the servers)");
  }

  static final String FLEET_PATH = DIR + "/fleet-watch.token";

  private final Kind kind;
  private final String node;

  LoginTokenResource(Kind kind, AclApi acl, String node, Optional<Secret> introToken) {
    super(
        kind.key(),
        acl,
        introToken,
        new TokenFile(kind.path(), MODE, DIR, 0700),
        "grants",
        new Login(
            kind.authMethod(),
            Map.of("node", node, "purpose", kind.what()),
            " done (a server of this version makes it)? consul-vm-agent status on the server"));
    this.kind = kind;
    this.node = node;
  }

  @Override
  String wanted() {
    return kind.wanted();
  }

  @Override
  String fieldOf(AclApi.Token t) {
    return grants(t);
  }

  @Override
  int gid(Host host) {
    return host.users().gid("root").orElse(0);
  }

  @Override
  String fileShown() {
    return "0600 root:root";
  }

  /** Everything a token grants, as one comparable line. */
  static String grants(AclApi.Token t) {
    List<String> g = new ArrayList<>();
    t.roles().forEach(r -> g.add("role " + r));
    t.policies().forEach(p -> g.add("policy " + p));
    t.serviceIdentities().forEach(x -> g.add("service identity " + x));
    t.nodeIdentities().forEach(n -> g.add("node identity " + n.nodeName()));
    return g.isEmpty() ? "(nothing)" : String.join(", ", g.stream().sorted().toList());
  }

  @Override
  String usedUp(String why) {
    return "cannot get the "
        + kind.what()
        + " of node "
        + node
        + ": "
        + why
        + ". "
        + kind.without()
        + ". Render a fresh intro JWT for node "
        + node
        + " (consul-vm-agent mesh user-data on the operator's machine), put its"
        + " security.intro_token into /etc/consul-vm-agent/agent.yaml and run apply again";
  }
}
