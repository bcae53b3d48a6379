package dev.consulvmagent.fleet;

import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a group should be at one revision: the overlay text and the rollout policy. */
public record Desired(
    long revision, String overlay, RolloutPolicy policy, String pushedAt, long baseRevision) {
  public byte[] toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("revision", revision);
    m.put("overlay", overlay);
    m.put("policy", policy.toJson());
    m.put("pushed_at", pushedAt);
    m.put("base_revision", baseRevision);
    return Json.render(m);
  }

  /** Reads a stored document; anything malformed is an IllegalArgumentException. */
  @SuppressWarnings("unchecked")
  public static Desired fromJson(byte[] json) {
    try {
      Map<String, Object> m = Json.parseObject(json);
      if (!(m.get("revision") instanceof Number r) || r.longValue() < 1)
        throw new IllegalArgumentException("revision missing or not a positive number");
      if (!(m.get("overlay") instanceof String o))
        throw new IllegalArgumentException("overlay missing");
      Object p = m.get("policy");
      RolloutPolicy policy =
          p == null
              ? RolloutPolicy.DEFAULT
              : p instanceof Map<?, ?> pm
                  ? RolloutPolicy.fromJson((Map<String, Object>) pm).validated()
                  : null;
      if (policy == null) throw new IllegalArgumentException("policy is not an object");
      String at = m.get("pushed_at") instanceof String s ? s : "";
      long base = m.get("base_revision") instanceof Number b ? b.longValue() : 0;
      return new Desired(r.longValue(), o, policy, at, base);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage());
    }
  }
}
