package dev.consulvmagent.fleet;

import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What this VM remembers across restarts (/var/lib/consul-vm-agent/fleet.json): the revision it
 * last worked on and how that ended, the overlay it runs now (apply merges it too), and the last
 * revision at which it was healthy with that overlay (the auto_revert target; revision 0 is the
 * VM's own config, no overlay), and when that revision was pushed (tells a new history, after
 * Consul lost its data, from a restored older one).
 */
public record LocalState(
    long revision,
    NodeReport.State state,
    long appliedRevision,
    String appliedOverlay,
    long healthyRevision,
    String healthyOverlay,
    String pushedAt) {
  public static final LocalState INITIAL =
      new LocalState(0, NodeReport.State.HEALTHY, 0, "", 0, "", "");

  /** Where it is kept. */
  public interface Store {
    Optional<LocalState> load();

    void save(LocalState s);
  }

  public byte[] toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("revision", revision);
    m.put("state", state.wire());
    m.put("applied_revision", appliedRevision);
    m.put("applied_overlay", appliedOverlay);
    m.put("healthy_revision", healthyRevision);
    m.put("healthy_overlay", healthyOverlay);
    m.put("pushed_at", pushedAt);
    return Json.render(m);
  }

  public static LocalState fromJson(byte[] json) throws IOException {
    Map<String, Object> m = Json.parseObject(json);
    try {
      return new LocalState(
          ((Number) m.get("revision")).longValue(),
          NodeReport.State.valueOf(((String) m.get("state")).toUpperCase(Locale.ROOT)),
          ((Number) m.get("applied_revision")).longValue(),
          (String) m.get("applied_overlay"),
          ((Number) m.get("healthy_revision")).longValue(),
          (String) m.get("healthy_overlay"),
          m.get("pushed_at") instanceof String p ? p : "");
    } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
      throw new IOException("malformed fleet state: " + e.getMessage());
    }
  }
}
