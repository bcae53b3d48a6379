package dev.consulvmagent.fleet;

import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The group's switches: paused (no VM starts a revision), the revision promoted past its canaries,
 * and the revision halted by a failure (no VM starts it until a newer one is pushed).
 */
public record Control(boolean paused, long promoted, Optional<Halt> halted) {
  public static final Control NONE = new Control(false, 0, Optional.empty());

  public record Halt(long revision, String node, String message, String at) {}

  public boolean isHalted(long revision) {
    return halted.isPresent() && halted.get().revision() == revision;
  }

  public Control withPaused(boolean p) {
    return new Control(p, promoted, halted);
  }

  public Control withPromoted(long r) {
    return new Control(paused, r, halted);
  }

  public Control withHalt(Halt h) {
    return new Control(paused, promoted, Optional.ofNullable(h));
  }

  public byte[] toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("paused", paused);
    m.put("promoted", promoted);
    if (halted.isPresent()) {
      Map<String, Object> h = new LinkedHashMap<>();
      h.put("revision", halted.get().revision());
      h.put("node", halted.get().node());
      h.put("message", halted.get().message());
      h.put("at", halted.get().at());
      m.put("halted", h);
    } else {
      m.put("halted", null);
    }
    return Json.render(m);
  }

  public static Control fromJson(byte[] json) {
    try {
      Map<String, Object> m = Json.parseObject(json);
      boolean paused = Boolean.TRUE.equals(m.get("paused"));
      long promoted = m.get("promoted") instanceof Number n ? n.longValue() : 0;
      Optional<Halt> halt = Optional.empty();
      if (m.get("halted") instanceof Map<?, ?> h && h.get("revision") instanceof Number r)
        halt =
            Optional.of(
                new Halt(
                    r.longValue(), str(h.get("node")), str(h.get("message")), str(h.get("at"))));
      return new Control(paused, promoted, halt);
    } catch (IOException e) {
      throw new IllegalArgumentException("control is not JSON: " + e.getMessage());
    }
  }

  private static String str(Object o) {
    return o instanceof String s ? s : "";
  }
}
