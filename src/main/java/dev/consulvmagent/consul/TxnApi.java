package dev.consulvmagent.consul;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Consul transactions, KV operations only (PUT /v1/txn; website/pages/api-docs/txn.mdx at v1.8.7):
 * up to 64 operations applied all or none. ACL: each operation needs what it would need alone
 * (key:read for get/check-*, key:write for set/cas/delete/lock). HTTP 200 is committed; 409 is
 * rolled back with the failing operations' errors (a failed check-and-set, or a permission denied),
 * which {@link Result#errors()} lists.
 */
public final class TxnApi {
  public static final int MAX_OPS = 64;

  private final ConsulHttp http;

  public TxnApi(ConsulHttp http) {
    this.http = http;
  }

  /** One KV operation: verb (set, cas, delete, delete-cas, get, check-index, ...), key, etc. */
  public record Op(String verb, String key, byte[] value, long index, long flags, String session) {
    public static Op set(String key, byte[] value) {
      return new Op("set", key, value, 0, 0, "");
    }

    public static Op cas(String key, byte[] value, long index) {
      return new Op("cas", key, value, index, 0, "");
    }

    public static Op checkIndex(String key, long index) {
      return new Op("check-index", key, null, index, 0, "");
    }

    public static Op checkNotExists(String key) {
      return new Op("check-not-exists", key, null, 0, 0, "");
    }

    public static Op get(String key) {
      return new Op("get", key, null, 0, 0, "");
    }

    public static Op delete(String key) {
      return new Op("delete", key, null, 0, 0, "");
    }
  }

  /** committed: all applied; else errors says which operation failed and why. */
  public record Result(boolean committed, List<KvApi.KvPair> results, List<String> errors) {}

  public Result apply(List<Op> ops) {
    if (ops.isEmpty() || ops.size() > MAX_OPS)
      throw new IllegalArgumentException("a transaction holds 1 to 64 operations");
    List<Object> body = new ArrayList<>();
    for (Op o : ops) {
      Map<String, Object> kv = new LinkedHashMap<>();
      kv.put("Verb", o.verb());
      kv.put("Key", o.key());
      if (o.value() != null) kv.put("Value", Base64.getEncoder().encodeToString(o.value()));
      if (o.flags() != 0) kv.put("Flags", o.flags());
      if (o.index() != 0) kv.put("Index", o.index());
      if (!o.session().isEmpty()) kv.put("Session", o.session());
      body.add(Map.of("KV", kv));
    }
    ConsulHttp.Raw raw = http.exchange("PUT", "/v1/txn", Json.render(body), ConsulQuery.NONE);
    if (raw.code() != 200 && raw.code() != 409) {
      // the usual mapping (403, 5xx, ...) through the checked path
      http.put("/v1/txn", Json.render(body), ConsulQuery.NONE, "key:write on the keys");
      throw new ConsulBadAnswerException("/v1/txn", raw.code(), ConsulHttp.excerpt(raw.body()));
    }
    JsonNode n;
    try {
      n = Json.tree(raw.body());
    } catch (IOException e) {
      throw new ConsulBadAnswerException("/v1/txn", raw.code(), "not JSON");
    }
    List<KvApi.KvPair> results = new ArrayList<>();
    for (JsonNode r : n.path("Results"))
      if (r.has("KV")) results.add(KvApi.pair(r.get("KV"), "/v1/txn"));
    List<String> errors = new ArrayList<>();
    for (JsonNode e : n.path("Errors"))
      errors.add("op " + e.path("OpIndex").asInt() + ": " + e.path("What").asText());
    return new Result(raw.code() == 200, results, errors);
  }
}
