package dev.consulvmagent.consul;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Consul sessions (/v1/session; website/pages/api-docs/session.mdx at v1.8.7). A session with a TTL
 * is invalidated when not renewed within it; Consul itself waits up to twice the TTL before it does
 * (agent/consul/session_ttl.go), and its behavior says what happens to the keys it holds ({@code
 * release} or {@code delete}). TTL between 10s and 24h.
 */
public final class SessionApi {
  public static final Duration MIN_TTL = Duration.ofSeconds(10);
  public static final Duration MAX_TTL = Duration.ofHours(24);

  private final ConsulHttp http;

  public SessionApi(ConsulHttp http) {
    this.http = http;
  }

  public enum Behavior {
    RELEASE,
    DELETE
  }

  /**
   * What to create. {@code checks} empty: Consul's default, the node's serfHealth (as
   * api/semaphore.go's sessions have), so a dead machine frees its keys before the TTL does.
   */
  public record Request(
      String name,
      Optional<String> node,
      Duration ttl,
      Behavior behavior,
      Duration lockDelay,
      List<String> checks) {
    public Request {
      if (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0)
        throw new IllegalArgumentException("session TTL must be between 10s and 24h");
    }
  }

  public record Info(
      String id, String name, String node, String ttl, String behavior, long createIndex) {}

  /** PUT /v1/session/create. ACL: session:write on the node. Returns the session ID. */
  public String create(Request r) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("Name", r.name());
    r.node().ifPresent(n -> body.put("Node", n));
    body.put("TTL", r.ttl().toSeconds() + "s");
    body.put("Behavior", r.behavior().name().toLowerCase(Locale.ROOT));
    body.put("LockDelay", r.lockDelay().toMillis() + "ms");
    if (!r.checks().isEmpty()) body.put("Checks", r.checks()); // else Consul's: serfHealth
    ConsulResponse a =
        http.put("/v1/session/create", Json.render(body), ConsulQuery.NONE, "session:write");
    String id = object(a.body(), "/v1/session/create").path("ID").asText("");
    if (!id.matches("[0-9a-f-]{36}"))
      throw new ConsulBadAnswerException("/v1/session/create", a.code(), "no session ID");
    return id;
  }

  /** PUT /v1/session/destroy/:id. ACL: session:write. */
  public void destroy(String id) {
    http.put(
        "/v1/session/destroy/" + ConsulHttp.segment(id),
        new byte[0],
        ConsulQuery.NONE,
        "session:write");
  }

  /**
   * PUT /v1/session/renew/:id. ACL: session:write. False when the session is gone (404: it was
   * invalidated, so whatever it held is lost).
   */
  public boolean renew(String id) {
    try {
      http.put(
          "/v1/session/renew/" + ConsulHttp.segment(id),
          new byte[0],
          ConsulQuery.NONE,
          "session:write");
      return true;
    } catch (ConsulNotFoundException e) {
      return false;
    }
  }

  /** GET /v1/session/info/:id. ACL: session:read. Empty when it does not exist. */
  public Optional<Info> info(String id) {
    try {
      ConsulResponse a =
          http.get("/v1/session/info/" + ConsulHttp.segment(id), ConsulQuery.NONE, "session:read");
      List<Info> l = infos(a.body(), "/v1/session/info");
      return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
    } catch (ConsulNotFoundException e) {
      return Optional.empty();
    }
  }

  /** GET /v1/session/list. ACL: session:read (Consul filters the sessions by it). */
  public List<Info> list() {
    return infos(
        http.get("/v1/session/list", ConsulQuery.NONE, "session:read").body(), "/v1/session/list");
  }

  private static List<Info> infos(String body, String where) {
    JsonNode arr = KvApi.tree(body.isBlank() ? "[]" : body, where);
    List<Info> out = new ArrayList<>();
    for (JsonNode n : arr)
      out.add(
          new Info(
              n.path("ID").asText(),
              n.path("Name").asText(),
              n.path("Node").asText(),
              n.path("TTL").asText(),
              n.path("Behavior").asText(),
              n.path("CreateIndex").asLong()));
    return out;
  }

  private static JsonNode object(String body, String where) {
    try {
      JsonNode n = Json.tree(body);
      if (n == null || !n.isObject())
        throw new ConsulBadAnswerException(where, 200, "expected a JSON object");
      return n;
    } catch (IOException e) {
      throw new ConsulBadAnswerException(where, 200, "not JSON");
    }
  }
}
