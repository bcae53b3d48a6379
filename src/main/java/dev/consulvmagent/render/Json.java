package dev.consulvmagent.render;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Deterministic JSON: sorted keys, two-space indent, LF newlines, a final newline. */
public final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
  private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter()
      .withObjectIndenter(new DefaultIndenter("  ", "\n"))
      .withArrayIndenter(new DefaultIndenter("  ", "\n"));

  private Json() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  public static byte[] render(Object value) {
    try {
      return (MAPPER.writer(PRETTY).writeValueAsString(value) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String compact(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Flattens a JSON document to path → compact value, for field-by-field plans. */
  public static Map<String, String> flatten(byte[] json) {
    Map<String, String> out = new LinkedHashMap<>();
    try {
      flatten("", MAPPER.readValue(json, Object.class), out);
    } catch (java.io.IOException e) {
      out.put("(unparsable)", "true");
    }
    return out;
  }

  private static void flatten(String prefix, Object v, Map<String, String> out) {
    if (v instanceof Map<?, ?> m && !m.isEmpty()) {
      List<String> keys = m.keySet().stream().map(String::valueOf).sorted().toList();
      for (String k : keys) flatten(prefix.isEmpty() ? k : prefix + "." + k, m.get(k), out);
    } else {
      out.put(prefix, compact(v));
    }
  }

  /** True when the flattened path names a secret (gossip key, tokens). */
  public static boolean isSecretPath(String path, Set<String> secretLeaves) {
    for (String s : secretLeaves) if (path.equals(s) || path.endsWith("." + s)) return true;
    return false;
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
