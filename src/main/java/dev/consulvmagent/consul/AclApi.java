package dev.consulvmagent.consul;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.spec.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The ACL calls the secure mesh makes, on {@link ConsulHttp} (Consul 1.8.7's HTTP API,
 * website/pages/api-docs/acl/{tokens,policies,roles,auth-methods,binding-rules,index}.mdx at tag
 * v1.8.7). Every call but {@link #login} and {@link #tokenSelf} needs {@code acl:write} ({@code
 * acl:read} for reads), which in this project only the management token of the server's {@code
 * security.management_token} has. The shapes and error answers noted below were seen on the real
 * 1.8.7 (AclApiRealTest repeats them).
 *
 * <p>Records carry only the fields we compare or need; a token's SecretID is a {@link Secret}, and
 * no call puts a secret in a URL or a message.
 */
public final class AclApi {
  static final String ACL_READ = "acl:read";
  static final String ACL_WRITE = "acl:write";

  private final ConsulHttp http;

  public AclApi(ConsulHttp http) {
    this.http = http;
  }

  /**
   * GET /v1/acl/token/self with {@code token} as X-Consul-Token: needs no policy, only a token
   * Consul knows. Empty when it does not (real 1.8.7: HTTP 403 "ACL not found").
   */
  public Optional<Token> tokenSelf(Secret token) {
    String path = "/v1/acl/token/self";
    ConsulHttp.Raw r = http.exchange("GET", path, null, ConsulQuery.NONE.withToken(token));
    if (r.code() == 403 && r.body().contains("ACL not found")) return Optional.empty();
    if (r.code() == 200) return Optional.of(token(parse(r.body(), path), path));
    throw unexpected(r, path, "a valid token");
  }

  /**
   * PUT /v1/acl/token (acl:write). With a secret given the token gets that SecretID (real 1.8.7: a
   * second create with the same secret answers HTTP 500 "Invalid Token: SecretID is already in
   * use", a {@link ConsulBadAnswerException}).
   */
  public Token createToken(NewToken t) {
    ObjectNode b = Json.mapper().createObjectNode();
    t.secret().ifPresent(s -> b.put("SecretID", s.value()));
    b.put("Description", t.description());
    ArrayNode pols = b.putArray("Policies");
    t.policyNames().forEach(n -> pols.addObject().put("Name", n));
    ArrayNode svc = b.putArray("ServiceIdentities");
    t.serviceIdentities().forEach(n -> svc.addObject().put("ServiceName", n));
    ArrayNode nodes = b.putArray("NodeIdentities");
    t.nodeIdentities()
        .forEach(
            n -> nodes.addObject().put("NodeName", n.nodeName()).put("Datacenter", n.datacenter()));
    String path = "/v1/acl/token";
    return token(parse(http.put(path, bytes(b), ConsulQuery.NONE, ACL_WRITE).body(), path), path);
  }

  /**
   * PUT /v1/acl/token/:accessor (acl:write): replaces the token's description, policies and
   * identities (its secret stays). No check-and-set exists for tokens in 1.8: two writers race.
   */
  public Token updateToken(String accessorId, NewToken t) {
    ObjectNode b = Json.mapper().createObjectNode();
    b.put("AccessorID", accessorId);
    b.put("Description", t.description());
    ArrayNode pols = b.putArray("Policies");
    t.policyNames().forEach(n -> pols.addObject().put("Name", n));
    ArrayNode svc = b.putArray("ServiceIdentities");
    t.serviceIdentities().forEach(n -> svc.addObject().put("ServiceName", n));
    ArrayNode nodes = b.putArray("NodeIdentities");
    t.nodeIdentities()
        .forEach(
            n -> nodes.addObject().put("NodeName", n.nodeName()).put("Datacenter", n.datacenter()));
    String path = "/v1/acl/token/" + ConsulHttp.segment(accessorId);
    return token(parse(http.put(path, bytes(b), ConsulQuery.NONE, ACL_WRITE).body(), path), path);
  }

  /** GET /v1/acl/token/:accessor (acl:read); empty when absent. */
  public Optional<Token> token(String accessorId) {
    String path = "/v1/acl/token/" + ConsulHttp.segment(accessorId);
    ConsulHttp.Raw r = http.exchange("GET", path, null, ConsulQuery.NONE);
    if (r.code() == 404 || (r.code() == 403 && r.body().contains("ACL not found")))
      return Optional.empty();
    if (r.code() == 200) return Optional.of(token(parse(r.body(), path), path));
    throw unexpected(r, path, ACL_READ);
  }

  /** GET /v1/acl/tokens (acl:read). Secrets are not in the list (real 1.8.7). */
  public List<Token> tokens() {
    String path = "/v1/acl/tokens";
    List<Token> out = new ArrayList<>();
    for (JsonNode n : array(http.get(path, ConsulQuery.NONE, ACL_READ).body(), path))
      out.add(token(n, path));
    return out;
  }

  /** DELETE /v1/acl/token/:accessor (acl:write). */
  public void deleteToken(String accessorId) {
    http.delete("/v1/acl/token/" + ConsulHttp.segment(accessorId), ConsulQuery.NONE, ACL_WRITE);
  }

  /**
   * GET /v1/acl/policy/name/:name (acl:read). Empty when absent: real 1.8.7 answers HTTP 403 "ACL
   * not found" for a missing name, not 404.
   */
  public Optional<Policy> policyByName(String name) {
    String path = "/v1/acl/policy/name/" + ConsulHttp.segment(name);
    ConsulHttp.Raw r = http.exchange("GET", path, null, ConsulQuery.NONE);
    if (r.code() == 404 || (r.code() == 403 && r.body().contains("ACL not found")))
      return Optional.empty();
    if (r.code() == 200) return Optional.of(policy(parse(r.body(), path)));
    throw unexpected(r, path, ACL_READ);
  }

  /** PUT /v1/acl/policy (create) or /v1/acl/policy/:id (update) (acl:write). */
  public Policy writePolicy(Policy p) {
    ObjectNode b = Json.mapper().createObjectNode();
    b.put("Name", p.name()).put("Description", p.description()).put("Rules", p.rules());
    String path = "/v1/acl/policy" + p.id().map(id -> "/" + ConsulHttp.segment(id)).orElse("");
    p.id().ifPresent(id -> b.put("ID", id));
    return policy(parse(http.put(path, bytes(b), ConsulQuery.NONE, ACL_WRITE).body(), path));
  }

  /** GET /v1/acl/role/name/:name (acl:read). Empty when absent (real 1.8.7: HTTP 404, no body). */
  public Optional<Role> roleByName(String name) {
    String path = "/v1/acl/role/name/" + ConsulHttp.segment(name);
    ConsulHttp.Raw r = http.exchange("GET", path, null, ConsulQuery.NONE);
    if (r.code() == 404 || (r.code() == 403 && r.body().contains("ACL not found")))
      return Optional.empty();
    if (r.code() == 200) return Optional.of(role(parse(r.body(), path)));
    throw unexpected(r, path, ACL_READ);
  }

  /** PUT /v1/acl/role (create) or /v1/acl/role/:id (update) (acl:write); policies by name. */
  public Role writeRole(Role r) {
    ObjectNode b = Json.mapper().createObjectNode();
    b.put("Name", r.name()).put("Description", r.description());
    r.id().ifPresent(id -> b.put("ID", id));
    ArrayNode pols = b.putArray("Policies");
    r.policyNames().forEach(n -> pols.addObject().put("Name", n));
    String path = "/v1/acl/role" + r.id().map(id -> "/" + ConsulHttp.segment(id)).orElse("");
    return role(parse(http.put(path, bytes(b), ConsulQuery.NONE, ACL_WRITE).body(), path));
  }

  /** GET /v1/acl/auth-method/:name (acl:read). Empty when absent (real 1.8.7: HTTP 404). */
  public Optional<AuthMethod> authMethod(String name) {
    String path = "/v1/acl/auth-method/" + ConsulHttp.segment(name);
    ConsulHttp.Raw r = http.exchange("GET", path, null, ConsulQuery.NONE);
    if (r.code() == 404) return Optional.empty();
    if (r.code() == 200) return Optional.of(authMethod(parse(r.body(), path)));
    throw unexpected(r, path, ACL_READ);
  }

  /**
   * PUT /v1/acl/auth-method (create) or /v1/acl/auth-method/:name (update) (acl:write). The JWT
   * config keys are those of 1.8's go-sso Config (hashicorp/consul
   * internal/go-sso/oidcauth/config.go: JWTValidationPubKeys, BoundIssuer, BoundAudiences,
   * ClaimMappings); the real 1.8.7 echoes them back as sent.
   */
  public AuthMethod writeAuthMethod(AuthMethod m, boolean exists) {
    ObjectNode b = Json.mapper().createObjectNode();
    b.put("Name", m.name()).put("Type", m.type()).put("Description", m.description());
    ObjectNode c = b.putObject("Config");
    ArrayNode keys = c.putArray("JWTValidationPubKeys");
    m.jwtValidationPubKeys().forEach(keys::add);
    c.put("BoundIssuer", m.boundIssuer());
    ArrayNode aud = c.putArray("BoundAudiences");
    m.boundAudiences().forEach(aud::add);
    ObjectNode claims = c.putObject("ClaimMappings");
    m.claimMappings().forEach(claims::put);
    String path = "/v1/acl/auth-method" + (exists ? "/" + ConsulHttp.segment(m.name()) : "");
    return authMethod(parse(http.put(path, bytes(b), ConsulQuery.NONE, ACL_WRITE).body(), path));
  }

  /** GET /v1/acl/binding-rules?authmethod=:name (acl:read). */
  public List<BindingRule> bindingRules(String authMethod) {
    String path = "/v1/acl/binding-rules?authmethod=" + ConsulHttp.segment(authMethod);
    List<BindingRule> out = new ArrayList<>();
    for (JsonNode n : array(http.get(path, ConsulQuery.NONE, ACL_READ).body(), path))
      out.add(bindingRule(n));
    return out;
  }

  /** PUT /v1/acl/binding-rule (create) or /v1/acl/binding-rule/:id (update) (acl:write). */
  public BindingRule writeBindingRule(BindingRule r) {
    ObjectNode b = Json.mapper().createObjectNode();
    r.id().ifPresent(id -> b.put("ID", id));
    b.put("AuthMethod", r.authMethod())
        .put("Description", r.description())
        .put("Selector", r.selector())
        .put("BindType", r.bindType())
        .put("BindName", r.bindName());
    String path =
        "/v1/acl/binding-rule" + r.id().map(id -> "/" + ConsulHttp.segment(id)).orElse("");
    return bindingRule(parse(http.put(path, bytes(b), ConsulQuery.NONE, ACL_WRITE).body(), path));
  }

  /** DELETE /v1/acl/binding-rule/:id (acl:write). */
  public void deleteBindingRule(String id) {
    http.delete("/v1/acl/binding-rule/" + ConsulHttp.segment(id), ConsulQuery.NONE, ACL_WRITE);
  }

  /**
   * POST /v1/acl/login: needs no token, only a bearer credential the auth method accepts. Real
   * 1.8.7 answers a refused JWT with HTTP 500 ("error parsing token…", "computed \"service\" bind
   * name for bind target is invalid"), an unknown auth method with 403 "ACL not found" and a method
   * with no binding rule for the JWT with 403 "Permission denied": all are {@link
   * LoginRefusedException}, the last two {@link LoginRefusedException#mayComeLater} (a leaderless
   * cluster stays {@link ConsulUnavailableException}). The JWT never appears in the message.
   */
  public Token login(String authMethod, Secret bearer, Map<String, String> meta) {
    ObjectNode b = Json.mapper().createObjectNode();
    b.put("AuthMethod", authMethod).put("BearerToken", bearer.value());
    ObjectNode m = b.putObject("Meta");
    meta.forEach(m::put);
    String path = "/v1/acl/login";
    // login takes no token: a token in the endpoint would be sent, and is harmless, but not used
    ConsulHttp.Raw r = http.exchange("POST", path, bytes(b), ConsulQuery.NONE);
    if (r.code() == 200) return token(parse(r.body(), path), path);
    if (r.code() == 500 && ConsulHttp.unavailable(r.body()))
      throw new ConsulUnavailableException(path, path + ": Consul cannot serve it now");
    if (r.code() == 403 && r.body().contains("ACL not found"))
      throw new LoginRefusedException(
          path,
          "the servers have no auth method "
              + authMethod
              + " (yet): the server's apply creates it once a leader exists",
          true,
          true);
    // real 1.8.7: a method whose binding rules match nothing answers 403 "Permission denied";
    // the server's apply makes the method first and its rules right after (a rule needs its
    // method), so a client that logs in between sees this for a moment: it may come later
    if (r.code() == 403 && r.body().contains("Permission denied"))
      throw new LoginRefusedException(
          path,
          "auth method "
              + authMethod
              + " has no binding rule for this JWT (yet): the server's apply makes them right"
              + " after the method; a group or service the servers are not told about never gets"
              + " one",
          true,
          false);
    if (r.code() == 500 || r.code() == 403)
      throw new LoginRefusedException(
          path,
          "auth method "
              + authMethod
              + " refused the intro JWT: "
              + ConsulHttp.excerpt(r.body().replace(bearer.value(), "(sensitive)")),
          false,
          false);
    throw unexpected(r, path, "a JWT the auth method accepts");
  }

  /** POST /v1/acl/logout with {@code token}: deletes a token that login made. */
  public void logout(Secret token) {
    http.post("/v1/acl/logout", new byte[0], ConsulQuery.NONE.withToken(token), "a login token");
  }

  /** The auth method refused the credential, or does not exist yet ({@link #methodMissing}). */
  public static final class LoginRefusedException extends ConsulException {
    private final boolean mayComeLater;
    private final boolean methodMissing;

    LoginRefusedException(
        String path, String message, boolean mayComeLater, boolean methodMissing) {
      super(path, message);
      this.mayComeLater = mayComeLater;
      this.methodMissing = methodMissing;
    }

    /**
     * The method itself is missing (a server not done yet, possibly for minutes at first boot);
     * otherwise a {@link #mayComeLater} refusal is a rule-less moment that lasts milliseconds
     * unless the servers were never told about the service or group.
     */
    public boolean methodMissing() {
      return methodMissing;
    }

    /**
     * The method or its binding rules are not there yet (the server's apply makes them once a
     * leader exists): worth waiting for, unlike a refused JWT.
     */
    public boolean mayComeLater() {
      return mayComeLater;
    }
  }

  /** A token as Consul returns it; {@code secret} is empty in lists. */
  public record Token(
      String accessorId,
      Optional<Secret> secret,
      String description,
      List<String> policies,
      List<String> roles,
      List<String> serviceIdentities,
      List<NodeIdentity> nodeIdentities,
      String authMethod) {}

  public record NodeIdentity(String nodeName, String datacenter) {}

  /** What to create: a pre-set secret (or empty: Consul makes one), identities, policies. */
  public record NewToken(
      Optional<Secret> secret,
      String description,
      List<String> policyNames,
      List<String> serviceIdentities,
      List<NodeIdentity> nodeIdentities) {}

  /** id empty for a new policy. */
  public record Policy(Optional<String> id, String name, String description, String rules) {}

  /** id empty for a new role; policies by name. */
  public record Role(
      Optional<String> id, String name, String description, List<String> policyNames) {}

  /** A JWT auth method (type "jwt") with static public keys. */
  public record AuthMethod(
      String name,
      String type,
      String description,
      List<String> jwtValidationPubKeys,
      String boundIssuer,
      List<String> boundAudiences,
      Map<String, String> claimMappings) {}

  /** id empty for a new rule. */
  public record BindingRule(
      Optional<String> id,
      String authMethod,
      String description,
      String selector,
      String bindType,
      String bindName) {}

  // ---- parsing (JsonNode stays in here)

  private static ConsulException unexpected(ConsulHttp.Raw r, String path, String acl) {
    String where = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    if (r.code() == 403)
      return new ConsulPermissionDeniedException(where, acl, ConsulHttp.excerpt(r.body()));
    if (r.code() >= 500 && ConsulHttp.unavailable(r.body()))
      return new ConsulUnavailableException(where, where + ": Consul cannot serve it now");
    return new ConsulBadAnswerException(where, r.code(), ConsulHttp.excerpt(r.body()));
  }

  private static byte[] bytes(JsonNode n) {
    return n.toString().getBytes(StandardCharsets.UTF_8);
  }

  static JsonNode parse(String body, String path) {
    try {
      JsonNode n = Json.tree(body);
      if (n == null || !n.isObject()) throw new IOException("not a JSON object");
      return n;
    } catch (IOException e) {
      throw new ConsulBadAnswerException(path, 200, "not the JSON object expected");
    }
  }

  static Iterable<JsonNode> array(String body, String path) {
    try {
      JsonNode n = Json.tree(body);
      if (n == null || n.isNull()) return List.of();
      if (!n.isArray()) throw new IOException("not a JSON array");
      return n;
    } catch (IOException e) {
      throw new ConsulBadAnswerException(path, 200, "not the JSON array expected");
    }
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? "" : v.asText();
  }

  private static List<String> names(JsonNode n, String field, String inner) {
    List<String> out = new ArrayList<>();
    JsonNode a = n.get(field);
    if (a != null && a.isArray()) for (JsonNode e : a) out.add(text(e, inner));
    return out;
  }

  private static List<String> strings(JsonNode n, String field) {
    List<String> out = new ArrayList<>();
    JsonNode a = n.get(field);
    if (a != null && a.isArray()) for (JsonNode e : a) out.add(e.asText());
    return out;
  }

  private static Token token(JsonNode n, String path) {
    if (!n.hasNonNull("AccessorID"))
      throw new ConsulBadAnswerException(path, 200, "a token without an AccessorID");
    List<NodeIdentity> nodes = new ArrayList<>();
    JsonNode a = n.get("NodeIdentities");
    if (a != null && a.isArray())
      for (JsonNode e : a) nodes.add(new NodeIdentity(text(e, "NodeName"), text(e, "Datacenter")));
    String secret = text(n, "SecretID");
    return new Token(
        text(n, "AccessorID"),
        secret.isEmpty() ? Optional.empty() : Optional.of(new Secret(secret)),
        text(n, "Description"),
        names(n, "Policies", "Name"),
        names(n, "Roles", "Name"),
        names(n, "ServiceIdentities", "ServiceName"),
        List.copyOf(nodes),
        text(n, "AuthMethod"));
  }

  private static Policy policy(JsonNode n) {
    return new Policy(
        Optional.of(text(n, "ID")), text(n, "Name"), text(n, "Description"), text(n, "Rules"));
  }

  private static Role role(JsonNode n) {
    return new Role(
        Optional.of(text(n, "ID")),
        text(n, "Name"),
        text(n, "Description"),
        names(n, "Policies", "Name"));
  }

  private static AuthMethod authMethod(JsonNode n) {
    JsonNode c = n.path("Config");
    Map<String, String> claims = new LinkedHashMap<>();
    c.path("ClaimMappings")
        .fields()
        .forEachRemaining(e -> claims.put(e.getKey(), e.getValue().asText()));
    return new AuthMethod(
        text(n, "Name"),
        text(n, "Type"),
        text(n, "Description"),
        strings(c, "JWTValidationPubKeys"),
        text(c, "BoundIssuer"),
        strings(c, "BoundAudiences"),
        Map.copyOf(claims));
  }

  private static BindingRule bindingRule(JsonNode n) {
    return new BindingRule(
        Optional.of(text(n, "ID")),
        text(n, "AuthMethod"),
        text(n, "Description"),
        text(n, "Selector"),
        text(n, "BindType"),
        text(n, "BindName"));
  }
}
