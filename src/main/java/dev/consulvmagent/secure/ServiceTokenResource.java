package dev.consulvmagent.secure;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.host.Host;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A client service's ACL token: made by {@code POST /v1/acl/login} with the machine's intro JWT
 * against {@link ServerBootstrap#AUTH_METHOD} (its binding rules give the service identity and,
 * where the server lists the service, the role that may keep its intentions), kept in {@link
 * #path(String)} 0640 root:envoy (Envoy reads it through -token-file; root's registration and
 * commands too). Reused while Consul accepts it with the service's identity; the login, its waits
 * and the token's renewal are {@link IntroLoginResource}'s. After the JWT's exp (Consul 1.8.7
 * cannot revoke a JWT: a short exp is the only limit, see reference/real-consul.md) the operator
 * must supply a new one, and the error says how.
 */
final class ServiceTokenResource extends IntroLoginResource {
  static final String DIR = "/etc/consul.d/tokens";
  static final int MODE = 0640;

  /**
   * How long a login without the service's intentions role is retried: the server makes the role
   * rule moments after the method (ServerBootstrap); a service it is not told about never gets it.
   */
  static final Duration ROLE_WAIT = RULE_WAIT;

  private final ClientSecurity client;
  private final Duration roleWait;

  ServiceTokenResource(AclApi acl, ClientSecurity client) {
    this(acl, client, ROLE_WAIT);
  }

  ServiceTokenResource(AclApi acl, ClientSecurity client, Duration roleWait) {
    super(
        "acl-token/service/" + client.service(),
        acl,
        client.introToken(),
        new TokenFile(path(client.service()), MODE, DIR, 0750),
        "service_identity",
        new Login(
            ServerBootstrap.AUTH_METHOD,
            Map.of("node", client.node(), "service", client.service()),
            " done? (consul-vm-agent status on the server)"));
    this.client = client;
    this.roleWait = roleWait;
  }

  /** Where service's token is kept. */
  static String path(String service) {
    return DIR + "/" + service + ".token";
  }

  @Override
  public List<String> sideEffectPaths() {
    return List.of(DIR);
  }

  @Override
  String wanted() {
    return client.service();
  }

  @Override
  String fieldOf(AclApi.Token t) {
    return String.join(",", t.serviceIdentities());
  }

  @Override
  int gid(Host host) {
    return host.users()
        .gid("envoy")
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "group envoy is missing; the envoy user is made" + " earlier in this run"));
  }

  @Override
  String fileShown() {
    return "0640 root:envoy";
  }

  /**
   * The server's apply makes the method, the identity rule, then the role rule: a login in between
   * gets no intentions role. Logged out and tried again for a while; after that the service is
   * taken as not listed on the servers (status says what is missing).
   */
  @Override
  boolean complete(AclApi.Token t) {
    return t.roles().contains(ServerBootstrap.ROLE_PREFIX + client.service());
  }

  @Override
  Duration completeWait() {
    return roleWait;
  }

  @Override
  String usedUp(String why) {
    return "cannot get a service token for "
        + client.service()
        + ": "
        + why
        + ". The intro JWT is single-purpose and short-lived; render a fresh one for node "
        + client.node()
        + " (consul-vm-agent mesh user-data on the operator's machine), put its"
        + " security.intro_token into /etc/consul-vm-agent/agent.yaml and run apply again";
  }
}
