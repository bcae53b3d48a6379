package dev.consulvmagent.engine;

/** One field that differs; from/to are already redacted when the field is sensitive. */
public record FieldChange(String field, String from, String to) {
  public String describe() {
    if (from == null) return "set " + field + " to " + to;
    if (to == null) return "remove " + field + " (was " + from + ")";
    return "set " + field + " to " + to + " (was " + from + ")";
  }
}
