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
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * <p>Reused while Consul accepts it with that role; a token deleted on the servers is seen as "not
 * accepted" (status says so too) and made again while the JWT is valid; after its exp the error
 * says what the operator must supply. The JWT is not used up by a login: Consul 1.8.7 accepts one
 * JWT for any number of logins until its exp (reference/real-consul.md).
 */
final class LoginTokenResource extends ClusterResource {
  static final String DIR = "/var/lib/consul-vm-agent";
  static final int MODE = 0600;
  private static final Duration LOGIN_WAIT = Duration.ofSeconds(180);

  /**
   * How long a login that matches no binding rule is retried once the method exists: the server
   * makes the rules moments after the method; past this, the servers were not told about it.
   */
  static final Duration RULE_WAIT = Duration.ofSeconds(20);

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
  private final AclApi acl;
  private final String node;
  private final Optional<Secret> introToken;

  LoginTokenResource(Kind kind, AclApi acl, String node, Optional<Secret> introToken) {
    super(kind.key());
    this.kind = kind;
    this.acl = acl;
    this.node = node;
    this.introToken = introToken;
  }

  @Override
  public Optional<String> path() {
    return Optional.of(kind.path());
  }

  @Override
  public State desired() {
    return state(kind.wanted(), "yes", "0600 root:root");
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

  private static State state(String grants, String accepted, String file) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("grants", grants);
    f.put("accepted", accepted);
    f.put("file", file);
    return State.of(f);
  }

  /** The stored secret at path, if any (never shown). */
  static Optional<Secret> stored(Host host, String path) {
    return host.fs()
        .readIfExists(path)
        .map(b -> new String(b, StandardCharsets.UTF_8).strip())
        .filter(s -> !s.isEmpty())
        .map(Secret::new);
  }

  private String file(Host host) {
    Optional<FileStat> st = host.fs().stat(kind.path());
    if (st.isEmpty()) return "(none)";
    return String.format(
        "%04o %s:%s",
        st.get().mode() & 07777,
        host.users().userName(st.get().uid()),
        host.users().groupName(st.get().gid()));
  }

  @Override
  Optional<State> read(Host host) {
    Optional<Secret> secret = stored(host, kind.path());
    if (secret.isEmpty()) return Optional.empty();
    String file = file(host);
    return Optional.of(
        acl.tokenSelf(secret.get())
            .map(t -> state(grants(t), "yes", file))
            .orElseGet(() -> state(kind.wanted(), "no (unknown to the servers: deleted?)", file)));
  }

  @Override
  void write(Host host, Optional<State> current) {
    int root = host.users().uid("root").orElse(0);
    int rootGroup = host.users().gid("root").orElse(0);
    boolean accepted = current.isPresent() && current.get().get("accepted").equals("yes");
    if (accepted && current.get().get("grants").equals(kind.wanted())) {
      // only the file's mode or owner differ
      host.fs().setAttributes(kind.path(), MODE, root, rootGroup);
      return;
    }
    AclApi.Token t = login();
    // a stored token that Consul accepts with other rights is not ours to keep: logged out
    if (accepted)
      stored(host, kind.path())
          .ifPresent(
              old -> {
                try {
                  acl.logout(old);
                } catch (ConsulException ignored) {
                  // not a login token, or gone meanwhile
                }
              });
    host.fs().mkdir(DIR, 0700, root, rootGroup);
    host.fs()
        .writeAtomic(
            kind.path(),
            (t.secret().orElseThrow().value() + "\n").getBytes(StandardCharsets.UTF_8),
            MODE,
            root,
            rootGroup);
  }

  /** Logs in, waiting while the servers elect a leader or have not made the auth method yet. */
  private AclApi.Token login() {
    if (introToken.isEmpty())
      throw new IllegalStateException(usedUp("this machine's config has no security.intro_token"));
    long end = System.nanoTime() + LOGIN_WAIT.toNanos();
    long ruleEnd = System.nanoTime() + RULE_WAIT.toNanos();
    while (true) {
      try {
        return acl.login(
            kind.authMethod(), introToken.get(), Map.of("node", node, "purpose", kind.what()));
      } catch (AclApi.LoginRefusedException e) {
        if (!e.mayComeLater()) throw new IllegalStateException(usedUp(e.getMessage()));
        if (!e.methodMissing() && System.nanoTime() > ruleEnd)
          throw new IllegalStateException(usedUp(e.getMessage()));
        if (System.nanoTime() > end)
          throw new IllegalStateException(
              e.getMessage()
                  + " — waited "
                  + LOGIN_WAIT.toSeconds()
                  + "s; is the server's apply done (a server of this version makes it)?"
                  + " consul-vm-agent status on the server");
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
