package dev.consulvmagent.engine;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The diffable state of a resource: ordered field → text, and which fields are secrets (their
 * values are never printed). Large contents are represented by their sha256, never bytes.
 */
public record State(Map<String, String> fields, Set<String> sensitive) {
  public State {
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    sensitive = Set.copyOf(sensitive);
  }

  public static State of(Map<String, String> fields) {
    return new State(fields, Set.of());
  }

  public String get(String field) {
    return fields.get(field);
  }

  public String display(String field) {
    String v = fields.get(field);
    if (v == null) return "(none)";
    return sensitive.contains(field) ? "(sensitive)" : v;
  }
}
