package dev.consulvmagent.secure;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.ConsulException;
import dev.consulvmagent.consul.ConsulUnavailableException;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.FileStat;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.spec.Secret;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A client service's ACL token: made by {@code POST /v1/acl/login} with the machine's intro JWT
 * against {@link ServerBootstrap#AUTH_METHOD} (its binding rules give the service identity and,
 * where the server lists the service, the role that may keep its intentions), kept in {@link
 * #path(String)} 0640 root:envoy (Envoy reads it through -token-file; root's registration and
 * commands too). Reused while Consul accepts it ({@code GET /v1/acl/token/self}); a token deleted
 * on the servers is seen as "not accepted" and made again by a new login while the JWT is still
 * valid. After its exp (Consul 1.8.7 cannot revoke a JWT: a short exp is the only limit, see
 * reference/real-consul.md) the operator must supply a new one, and the error says how.
 */
final class ServiceTokenResource extends ClusterResource {
  static final String DIR = "/etc/consul.d/tokens";
  static final int MODE = 0640;
  private static final Duration LOGIN_WAIT = Duration.ofSeconds(180);

  /**
   * How long a login without the service's intentions role is retried: the server makes the role
   * rule moments after the method (ServerBootstrap); a service it is not told about never gets it.
   */
  static final Duration ROLE_WAIT = LoginTokenResource.RULE_WAIT;

  private final AclApi acl;
  private final ClientSecurity client;
  private final Duration roleWait;

  ServiceTokenResource(AclApi acl, ClientSecurity client) {
    this(acl, client, ROLE_WAIT);
  }

  ServiceTokenResource(AclApi acl, ClientSecurity client, Duration roleWait) {
    super("acl-token/service/" + client.service());
    this.acl = acl;
    this.client = client;
    this.roleWait = roleWait;
  }

  private boolean hasRole(AclApi.Token t) {
    return t.roles().contains(ServerBootstrap.ROLE_PREFIX + client.service());
  }

  /** Where service's token is kept. */
  static String path(String service) {
    return DIR + "/" + service + ".token";
  }

  /** The token file: recorded as ours when this run creates it (uninstall removes it). */
  @Override
  public Optional<String> path() {
    return Optional.of(path(client.service()));
  }

  @Override
  public List<String> sideEffectPaths() {
    return List.of(DIR);
  }

  @Override
  public State desired() {
    return state(client.service(), "yes", "0640 root:envoy");
  }

  private static State state(String identity, String accepted, String file) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("service_identity", identity);
    f.put("accepted", accepted);
    f.put("file", file);
    return State.of(f);
  }

  /** The secret in the token file, if any (never shown). */
  private Optional<Secret> stored(Host host) {
    return host.fs()
        .readIfExists(path(client.service()))
        .map(b -> new String(b, StandardCharsets.UTF_8).strip())
        .filter(s -> !s.isEmpty())
        .map(Secret::new);
  }

  private static String file(Host host, String path) {
    Optional<FileStat> st = host.fs().stat(path);
    if (st.isEmpty()) return "(none)";
    return String.format(
        "%04o %s:%s",
        st.get().mode() & 07777,
        host.users().userName(st.get().uid()),
        host.users().groupName(st.get().gid()));
  }

  @Override
  Optional<State> read(Host host) {
    Optional<Secret> secret = stored(host);
    if (secret.isEmpty()) return Optional.empty();
    String file = file(host, path(client.service()));
    return Optional.of(
        acl.tokenSelf(secret.get())
            .map(t -> state(String.join(",", t.serviceIdentities()), "yes", file))
            .orElseGet(
                () -> state(client.service(), "no (unknown to the servers: deleted?)", file)));
  }

  @Override
  void write(Host host, Optional<State> current) {
    int uid = host.users().uid("root").orElse(0);
    int gid =
        host.users()
            .gid("envoy")
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "group envoy is missing; the envoy user is made" + " earlier in this run"));
    String path = path(client.service());
    if (current.isPresent()
        && current.get().get("accepted").equals("yes")
        && current.get().get("service_identity").equals(client.service())) {
      host.fs().setAttributes(path, MODE, uid, gid); // only the file's mode or owner differ
      return;
    }
    AclApi.Token t = login();
    // a stored token Consul still accepts but for another identity is logged out, not left behind
    if (current.isPresent() && current.get().get("accepted").equals("yes"))
      stored(host)
          .ifPresent(
              old -> {
                try {
                  acl.logout(old);
                } catch (ConsulException ignored) {
                  // not a login token, or gone meanwhile: nothing to clean up
                }
              });
    host.fs().mkdir(DIR, 0750, uid, gid);
    host.fs()
        .writeAtomic(
            path,
            (t.secret().orElseThrow().value() + "\n").getBytes(StandardCharsets.UTF_8),
            MODE,
            uid,
            gid);
  }

  /** Logs in, waiting while the servers elect a leader or have not made the auth method yet. */
  private AclApi.Token login() {
    if (client.introToken().isEmpty())
      throw new IllegalStateException(usedUp("this machine's config has no security.intro_token"));
    long end = System.nanoTime() + LOGIN_WAIT.toNanos();
    long ruleEnd = System.nanoTime() + LoginTokenResource.RULE_WAIT.toNanos();
    long roleEnd = System.nanoTime() + roleWait.toNanos();
    while (true) {
      try {
        AclApi.Token t =
            acl.login(
                ServerBootstrap.AUTH_METHOD,
                client.introToken().get(),
                Map.of("node", client.node(), "service", client.service()));
        if (hasRole(t) || System.nanoTime() > roleEnd) return t;
        // the server's apply makes the method, the identity rule, then the role rule: a login in
        // between gets no intentions role. Logged out and tried again for a while; after that
        // the service is taken as not listed on the servers (status says what is missing)
        try {
          acl.logout(t.secret().orElseThrow());
        } catch (ConsulException ignored) {
          // gone meanwhile
        }
      } catch (AclApi.LoginRefusedException e) {
        if (!e.mayComeLater()) throw new IllegalStateException(usedUp(e.getMessage()));
        if (!e.methodMissing() && System.nanoTime() > ruleEnd)
          throw new IllegalStateException(usedUp(e.getMessage()));
        if (System.nanoTime() > end)
          throw new IllegalStateException(
              e.getMessage()
                  + " — waited "
                  + LOGIN_WAIT.toSeconds()
                  + "s; is the server's apply"
                  + " done? (consul-vm-agent status on the server)");
      } catch (ConsulUnavailableException e) {
        if (System.nanoTime() > end) throw e;
      }
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting to log in");
      }
    }
  }

  private String usedUp(String why) {
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
