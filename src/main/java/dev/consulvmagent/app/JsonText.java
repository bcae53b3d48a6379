package dev.consulvmagent.app;

import dev.consulvmagent.render.Json;
import java.nio.charset.StandardCharsets;

/** The agent's JSON output (render.Json's form) as text, for a command to print. */
public final class JsonText {
  private JsonText() {}

  public static String of(Object value) {
    return new String(Json.render(value), StandardCharsets.UTF_8);
  }
}
