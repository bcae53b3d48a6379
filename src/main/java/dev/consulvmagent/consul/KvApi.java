package dev.consulvmagent.consul;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Consul's KV store (/v1/kv; Consul API docs "KV Store Endpoints", website/pages/api-docs/kv.mdx at
 * v1.8.7). Reads support blocking queries; a missing key answers 404 with an X-Consul-Index, which
 * is a normal answer here ({@link Read} with no pairs and that index), never an error. Writes
 * answer true/false (a failed check-and-set or lock acquire is false, not an exception). Keys go
 * through {@link ConsulHttp#key}, so no input walks to another endpoint.
 */
public final class KvApi {
  private final ConsulHttp http;

  public KvApi(ConsulHttp http) {
    this.http = http;
  }

  /**
   * One entry. {@code flags} is Consul's uint64 as a Java long (compare with {@link
   * Long#compareUnsigned}); {@code session} the lock holder, if any.
   */
  public record KvPair(
      String key,
      byte[] value,
      long flags,
      long createIndex,
      long modifyIndex,
      long lockIndex,
      Optional<String> session) {}

  /** A read's pairs (empty: none there) and its X-Consul-Index (for the next blocking read). */
  public record Read(List<KvPair> pairs, long index) {
    public Optional<KvPair> first() {
      return pairs.isEmpty() ? Optional.empty() : Optional.of(pairs.get(0));
    }
  }

  /** GET /v1/kv/:key. ACL: key:read on the key. Blocking with q's index and wait. */
  public Read get(String key, ConsulQuery q) {
    return read(ConsulHttp.key(key), q, "key:read on " + key);
  }

  /**
   * GET /v1/kv/:prefix?recurse: every key under the prefix. ACL: key:read; Consul leaves out the
   * keys the token may not read (the docs: results are filtered by ACLs).
   */
  public Read list(String prefix, ConsulQuery q) {
    return read(ConsulHttp.key(prefix) + "?recurse", q, "key:read on " + prefix);
  }

  /**
   * GET /v1/kv/:prefix?keys&separator=S: the key names only, up to the separator. ACL: key:read
   * (key:list only where acl.enable_key_list_policy is set).
   */
  public List<String> keys(String prefix, String separator, ConsulQuery q) {
    String path =
        "/v1/kv/"
            + ConsulHttp.key(prefix)
            + "?keys"
            + (separator.isEmpty() ? "" : "&separator=" + ConsulHttp.segment(separator));
    try {
      ConsulResponse r = http.get(path, q, "key:read on " + prefix);
      List<String> out = new ArrayList<>();
      for (JsonNode k : tree(r.body(), path)) out.add(k.asText());
      return out;
    } catch (ConsulNotFoundException e) {
      return List.of();
    }
  }

  private Read read(String path, ConsulQuery q, String acl) {
    try {
      ConsulResponse r = http.get("/v1/kv/" + path, q, acl);
      List<KvPair> out = new ArrayList<>();
      for (JsonNode n : tree(r.body(), path)) out.add(pair(n, path));
      return new Read(List.copyOf(out), r.index());
    } catch (ConsulNotFoundException e) {
      return new Read(List.of(), e.index());
    }
  }

  /** PUT /v1/kv/:key. ACL: key:write on the key. */
  public boolean put(String key, byte[] value, long flags) {
    return write(key, value, "flags=" + Long.toUnsignedString(flags), ConsulQuery.NONE);
  }

  /**
   * PUT /v1/kv/:key?cas=N: only if the key's ModifyIndex is still N (0: only if it does not exist).
   * ACL: key:write.
   */
  public boolean cas(String key, byte[] value, long modifyIndex, long flags) {
    return write(
        key,
        value,
        "cas=" + modifyIndex + "&flags=" + Long.toUnsignedString(flags),
        ConsulQuery.NONE);
  }

  /**
   * PUT /v1/kv/:key?acquire=SESSION: takes the key's lock for the session (false if another holds
   * it). ACL: key:write on the key.
   */
  public boolean acquire(String key, byte[] value, String session, long flags) {
    return write(
        key,
        value,
        "acquire=" + ConsulHttp.segment(session) + "&flags=" + Long.toUnsignedString(flags),
        ConsulQuery.NONE);
  }

  /** PUT /v1/kv/:key?release=SESSION. ACL: key:write. */
  public boolean release(String key, byte[] value, String session) {
    return write(key, value, "release=" + ConsulHttp.segment(session), ConsulQuery.NONE);
  }

  private boolean write(String key, byte[] value, String params, ConsulQuery q) {
    ConsulResponse r =
        http.put("/v1/kv/" + ConsulHttp.key(key) + "?" + params, value, q, "key:write on " + key);
    return r.body().strip().equals("true");
  }

  /** DELETE /v1/kv/:key. ACL: key:write. */
  public boolean delete(String key) {
    ConsulResponse r =
        http.delete("/v1/kv/" + ConsulHttp.key(key), ConsulQuery.NONE, "key:write on " + key);
    return r.body().strip().equals("true");
  }

  /** DELETE /v1/kv/:key?cas=N: only if unchanged since N. ACL: key:write. */
  public boolean deleteCas(String key, long modifyIndex) {
    ConsulResponse r =
        http.delete(
            "/v1/kv/" + ConsulHttp.key(key) + "?cas=" + modifyIndex,
            ConsulQuery.NONE,
            "key:write on " + key);
    return r.body().strip().equals("true");
  }

  /** DELETE /v1/kv/:prefix?recurse. ACL: key:write on every key (key_prefix write). */
  public boolean deleteTree(String prefix) {
    ConsulResponse r =
        http.delete(
            "/v1/kv/" + ConsulHttp.key(prefix) + "?recurse",
            ConsulQuery.NONE,
            "key_prefix write on " + prefix);
    return r.body().strip().equals("true");
  }

  static JsonNode tree(String body, String where) {
    try {
      JsonNode n = Json.tree(body);
      if (n == null || !n.isArray())
        throw new ConsulBadAnswerException(where, 200, "expected a JSON array");
      return n;
    } catch (IOException e) {
      throw new ConsulBadAnswerException(where, 200, "not JSON: " + e.getMessage());
    }
  }

  static KvPair pair(JsonNode n, String where) {
    if (!n.isObject() || !n.path("Key").isTextual())
      throw new ConsulBadAnswerException(where, 200, "a KV entry without a Key");
    byte[] value;
    try {
      value =
          n.path("Value").isNull()
              ? new byte[0]
              : Base64.getDecoder().decode(n.path("Value").asText(""));
    } catch (IllegalArgumentException e) {
      throw new ConsulBadAnswerException(where, 200, "a KV value that is not base64");
    }
    long flags;
    try {
      flags = Long.parseUnsignedLong(n.path("Flags").asText("0"));
    } catch (NumberFormatException e) {
      flags = 0;
    }
    String s = n.path("Session").asText("");
    return new KvPair(
        n.path("Key").asText(),
        value,
        flags,
        n.path("CreateIndex").asLong(),
        n.path("ModifyIndex").asLong(),
        n.path("LockIndex").asLong(),
        s.isEmpty() ? Optional.empty() : Optional.of(s));
  }

  /** An OptionalLong for callers that CAS only sometimes. */
  public boolean putMaybeCas(String key, byte[] value, OptionalLong cas, long flags) {
    return cas.isPresent() ? cas(key, value, cas.getAsLong(), flags) : put(key, value, flags);
  }
}
