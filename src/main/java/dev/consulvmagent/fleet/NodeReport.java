package dev.consulvmagent.fleet;

import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One VM's report at P/groups/G/nodes/NODE: the revision it is at (or working on), its state, since
 * when, a message a person reads, and the last revision at which it was healthy.
 */
public record NodeReport(
    String node, long revision, State state, String since, String message, long healthyRevision) {
  public enum State {
    PENDING,
    APPLYING,
    HEALTHY,
    FAILED,
    REVERTED,
    INVALID;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    static State of(String s) {
      return State.valueOf(s.toUpperCase(Locale.ROOT));
    }
  }

  /** Same content (the time aside): no need to write it again. */
  public boolean sameAs(NodeReport o) {
    return o != null
        && revision == o.revision
        && state == o.state
        && message.equals(o.message)
        && healthyRevision == o.healthyRevision;
  }

  public byte[] toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("node", node);
    m.put("revision", revision);
    m.put("state", state.wire());
    m.put("since", since);
    m.put("message", message);
    m.put("healthy_revision", healthyRevision);
    return Json.render(m);
  }

  public static NodeReport fromJson(String node, byte[] json) {
    try {
      Map<String, Object> m = Json.parseObject(json);
      return new NodeReport(
          node,
          m.get("revision") instanceof Number n ? n.longValue() : 0,
          m.get("state") instanceof String s ? State.of(s) : State.PENDING,
          m.get("since") instanceof String s ? s : "",
          m.get("message") instanceof String s ? s : "",
          m.get("healthy_revision") instanceof Number n ? n.longValue() : 0);
    } catch (IOException | IllegalArgumentException e) {
      return new NodeReport(node, 0, State.INVALID, "", "unreadable report", 0);
    }
  }
}
