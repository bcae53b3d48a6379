package dev.consulvmagent.engine;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The difference between desired and observed for one resource. */
public record Change(String key, Kind kind, List<FieldChange> fields, String reason) {
  public enum Kind {
    NONE,
    CREATE,
    UPDATE,
    DELETE,
    UNKNOWN
  }

  public boolean actionable() {
    return kind != Kind.NONE;
  }

  public boolean touches(String field) {
    return fields.stream().anyMatch(f -> f.field().equals(field));
  }

  public static Change between(String key, State desired, Observed observed) {
    if (observed instanceof Observed.Unknown u) {
      return new Change(key, Kind.UNKNOWN, List.of(), u.reason());
    }
    State current = observed instanceof Observed.Present p ? p.state() : null;
    if (desired == null) {
      return current == null
          ? new Change(key, Kind.NONE, List.of(), "absent, as wanted")
          : new Change(key, Kind.DELETE, List.of(), "no longer wanted");
    }
    if (current == null) {
      List<FieldChange> f = new ArrayList<>();
      for (String k : desired.fields().keySet())
        f.add(new FieldChange(k, null, desired.display(k)));
      return new Change(key, Kind.CREATE, f, "absent");
    }
    List<FieldChange> f = new ArrayList<>();
    Set<String> keys = new LinkedHashSet<>(desired.fields().keySet());
    for (String k : keys) {
      String want = desired.get(k);
      String have = current.get(k);
      if (want != null && !want.equals(have)) {
        boolean secret = desired.sensitive().contains(k) || current.sensitive().contains(k);
        f.add(
            new FieldChange(
                k,
                have == null ? null : secret ? "(sensitive)" : have,
                secret ? "(sensitive)" : want));
      }
    }
    if (f.isEmpty()) return new Change(key, Kind.NONE, List.of(), "up to date");
    return new Change(key, Kind.UPDATE, f, "differs");
  }
}
