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
import java.util.Map;
import java.util.Optional;

/**
 * A token a client keeps by {@code POST /v1/acl/login} with the machine's intro JWT, in a file only
 * root writes: the service token ({@link ServiceTokenResource}) and the DNS and fleet tokens
 * ({@link LoginTokenResource}). Its state: one field saying what the token grants ({@link #field}),
 * whether Consul accepts it ({@code GET /v1/acl/token/self}), the file's mode and owner. Reused
 * while Consul accepts it with what it must grant; a token deleted on the servers is "not accepted"
 * and made again by a new login while the JWT is valid; a stored token Consul accepts with other
 * rights is logged out, not left behind. The JWT is not used up by a login (Consul 1.8.7 accepts
 * one JWT for any number of logins until its exp, reference/real-consul.md); after its exp the
 * error ({@link #usedUp}) says what the operator must supply.
 *
 * <p>The login waits while the servers cannot answer or elect a leader and while the auth method is
 * missing ({@link #LOGIN_WAIT}); once the method exists, a login that matches no binding rule (403
 * "Permission denied") is retried for {@link #RULE_WAIT}: the server makes its rules moments after
 * the method.
 */
abstract class IntroLoginResource extends ClusterResource {
  static final Duration LOGIN_WAIT = Duration.ofSeconds(180);

  /**
   * How long a login that matches no binding rule is retried once the method exists: the server
   * makes the rules moments after the method; past this, the servers were not told about it.
   */
  static final Duration RULE_WAIT = Duration.ofSeconds(20);

  /**
   * Where the token is kept: path, mode, the directory made for it (and that directory's mode).
   * Owner root; the group is {@link #gid}'s.
   */
  record TokenFile(String path, int mode, String dir, int dirMode) {}

  /**
   * The login: the auth method, the meta Consul records on the token, and what the error of a login
   * that waited {@link #LOGIN_WAIT} in vain asks the operator after "is the server's apply".
   */
  record Login(String authMethod, Map<String, String> meta, String waitHint) {}

  private final AclApi acl;
  private final Optional<Secret> introToken;
  private final TokenFile file;
  private final String field;
  private final Login login;

  IntroLoginResource(
      String name,
      AclApi acl,
      Optional<Secret> introToken,
      TokenFile file,
      String field,
      Login login) {
    super(name);
    this.acl = acl;
    this.introToken = introToken;
    this.file = file;
    this.field = field;
    this.login = login;
  }

  /** The value of {@link #field} the kept token must have. */
  abstract String wanted();

  /** The value of {@link #field} for a token Consul accepts. */
  abstract String fieldOf(AclApi.Token t);

  /** The token file's group id on host. */
  abstract int gid(Host host);

  /** The file's mode and owner as {@link #desired} shows them, e.g. "0600 root:root". */
  abstract String fileShown();

  /** The error of a login that cannot succeed without a new intro JWT: why, and what to do. */
  abstract String usedUp(String why);

  /**
   * Whether a login's token is all it must be. If not, it is logged out and the login made again
   * until {@link #completeWait} has passed; after that it is kept as it is (status says what is
   * missing).
   */
  boolean complete(AclApi.Token t) {
    return true;
  }

  /** How long an incomplete login is made again; see {@link #complete}. */
  Duration completeWait() {
    return Duration.ZERO;
  }

  /** The token file: recorded as ours when this run creates it (uninstall removes it). */
  @Override
  public Optional<String> path() {
    return Optional.of(file.path());
  }

  @Override
  public State desired() {
    return state(wanted(), "yes", fileShown());
  }

  private State state(String value, String accepted, String fileShown) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put(field, value);
    f.put("accepted", accepted);
    f.put("file", fileShown);
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

  private String fileNow(Host host) {
    Optional<FileStat> st = host.fs().stat(file.path());
    if (st.isEmpty()) return "(none)";
    return String.format(
        "%04o %s:%s",
        st.get().mode() & 07777,
        host.users().userName(st.get().uid()),
        host.users().groupName(st.get().gid()));
  }

  @Override
  Optional<State> read(Host host) {
    Optional<Secret> secret = stored(host, file.path());
    if (secret.isEmpty()) return Optional.empty();
    String shown = fileNow(host);
    return Optional.of(
        acl.tokenSelf(secret.get())
            .map(t -> state(fieldOf(t), "yes", shown))
            .orElseGet(() -> state(wanted(), "no (unknown to the servers: deleted?)", shown)));
  }

  @Override
  void write(Host host, Optional<State> current) {
    int uid = host.users().uid("root").orElse(0);
    int gid = gid(host);
    boolean accepted = current.isPresent() && current.get().get("accepted").equals("yes");
    if (accepted && current.get().get(field).equals(wanted())) {
      // only the file's mode or owner differ
      host.fs().setAttributes(file.path(), file.mode(), uid, gid);
      return;
    }
    AclApi.Token t = login();
    // a stored token Consul still accepts but with other rights is logged out, not left behind
    if (accepted) stored(host, file.path()).ifPresent(this::logout);
    host.fs().mkdir(file.dir(), file.dirMode(), uid, gid);
    host.fs()
        .writeAtomic(
            file.path(),
            (t.secret().orElseThrow().value() + "\n").getBytes(StandardCharsets.UTF_8),
            file.mode(),
            uid,
            gid);
  }

  private void logout(Secret token) {
    try {
      acl.logout(token);
    } catch (ConsulException ignored) {
      // not a login token, or gone meanwhile: nothing to clean up
    }
  }

  /**
   * Logs in, waiting while the servers elect a leader or have not made the auth method or its
   * binding rules yet, and while the token is not {@link #complete} (see there).
   */
  private AclApi.Token login() {
    if (introToken.isEmpty())
      throw new IllegalStateException(usedUp("this machine's config has no security.intro_token"));
    long end = System.nanoTime() + LOGIN_WAIT.toNanos();
    long ruleEnd = System.nanoTime() + RULE_WAIT.toNanos();
    long completeEnd = System.nanoTime() + completeWait().toNanos();
    while (true) {
      try {
        AclApi.Token t = acl.login(login.authMethod(), introToken.get(), login.meta());
        if (complete(t) || System.nanoTime() > completeEnd) return t;
        logout(t.secret().orElseThrow());
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
                  + login.waitHint());
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
}
