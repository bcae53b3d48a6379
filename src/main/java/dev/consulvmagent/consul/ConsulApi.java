package dev.consulvmagent.consul;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.host.HttpClients;
import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import okhttp3.Call;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * The few Consul agent HTTP calls the agent makes. Required ACLs: {@code /v1/status/leader} none;
 * {@code /v1/agent/services}, {@code /v1/agent/service/:id} service:read; {@code /v1/agent/self}
 * agent:read; {@code /v1/agent/reload} agent:write.
 */
public final class ConsulApi {
  private final Call.Factory http;
  private final String base;
  private final Optional<String> token;

  private ConsulApi(Call.Factory http, String base, Optional<String> token) {
    this.http = http;
    this.base = base;
    this.token = token;
  }

  /** This agent with token, unless a token was given already (the environment's wins). */
  public ConsulApi withTokenIfNone(Optional<String> t) {
    return token.isPresent() || t.isEmpty() ? this : new ConsulApi(http, base, t);
  }

  public ConsulApi(String base, Optional<String> token, Duration timeout) {
    // every call we make is idempotent, so a stale pooled connection is simply retried once
    this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    // the local agent's plain-http address gets no TLS set-up (a third of a second at boot)
    this.http = HttpClients.consul(this.base, timeout);
    this.token = token;
  }

  /** Agent down, or an unexpected answer. */
  public static final class ConsulUnreachableException extends RuntimeException {
    public ConsulUnreachableException(String m) {
      super(m);
    }
  }

  public record Answer(int code, String body) {}

  public Answer get(String path) {
    return call(new Request.Builder().url(base + path).get(), path);
  }

  public Answer put(String path) {
    return call(new Request.Builder().url(base + path).put(RequestBody.create(new byte[0])), path);
  }

  private Answer call(Request.Builder rb, String path) {
    token.ifPresent(t -> rb.header("X-Consul-Token", t));
    try (Response r = http.newCall(rb.build()).execute()) {
      return new Answer(r.code(), r.body() == null ? "" : r.body().string());
    } catch (IOException e) {
      throw new ConsulUnreachableException(
          "cannot reach the Consul agent at "
              + base
              + path
              + " ("
              + e.getMessage()
              + "); is consul.service active? try: systemctl status consul");
    }
  }

  /** The leader address, or empty when there is none yet (or the agent has joined no server). */
  public Optional<String> leader() {
    Answer a = get("/v1/status/leader");
    if (a.code() == 500) return Optional.empty(); // "No known Consul servers"
    if (a.code() != 200)
      throw new ConsulUnreachableException(
          "GET /v1/status/leader answered HTTP " + a.code() + ": " + a.body().strip());
    String v = a.body().strip().replace("\"", "");
    return v.isEmpty() ? Optional.empty() : Optional.of(v);
  }

  public JsonNode services() {
    return json(get("/v1/agent/services"), "/v1/agent/services");
  }

  public Optional<JsonNode> service(String id) {
    Answer a = get("/v1/agent/service/" + id);
    if (a.code() == 404) return Optional.empty();
    return Optional.of(json(a, "/v1/agent/service/" + id));
  }

  public JsonNode self() {
    return json(get("/v1/agent/self"), "/v1/agent/self");
  }

  public JsonNode checks() {
    return json(get("/v1/agent/checks"), "/v1/agent/checks");
  }

  private static JsonNode json(Answer a, String path) {
    if (a.code() == 403)
      throw new ConsulUnreachableException(
          path + ": permission denied (403); the ACL token lacks the needed policy");
    if (a.code() != 200)
      throw new ConsulUnreachableException(
          path + " answered HTTP " + a.code() + ": " + a.body().strip());
    try {
      return Json.mapper().readTree(a.body());
    } catch (IOException e) {
      throw new ConsulUnreachableException(path + " returned invalid JSON");
    }
  }
}
