package dev.consulvmagent.engine;

import java.util.List;

/** What apply did to one resource. */
public record Outcome(
    String key, Change.Kind kind, Status status, List<FieldChange> fields, String message) {
  public enum Status {
    UNCHANGED,
    CHANGED,
    FAILED,
    SKIPPED
  }
}
