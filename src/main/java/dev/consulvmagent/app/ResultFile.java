package dev.consulvmagent.app;

import dev.consulvmagent.engine.FieldChange;
import dev.consulvmagent.engine.Outcome;
import dev.consulvmagent.engine.Redact;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.render.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** last-run.json: a report of each apply, never an input. Secrets are already redacted. */
public final class ResultFile {
  public static final String PATH = "/var/lib/consul-vm-agent/last-run.json";

  private ResultFile() {}

  public static Map<String, Object> toMap(RunResult r, int exitCode) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", r.mode());
    m.put("start", r.start().toString());
    m.put("end", r.end().toString());
    m.put("exit_code", exitCode);
    m.put("changed", r.changed());
    m.put("pending", r.mode().equals("plan") ? r.pending() : 0);
    if (r.error() != null) m.put("error", r.error());
    List<Object> rs = new ArrayList<>();
    for (Outcome o : r.outcomes()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("resource", o.key());
      x.put("change", o.kind().name().toLowerCase());
      x.put("outcome", o.status().name().toLowerCase());
      if (!o.fields().isEmpty())
        x.put("fields", o.fields().stream().map(FieldChange::describe).toList());
      if (o.message() != null) x.put("reason", o.message());
      rs.add(x);
    }
    m.put("resources", rs);
    m.put("actions", r.actions());
    return m;
  }

  public static void write(HostFs fs, RunResult r, int exitCode) {
    byte[] json = Json.render(toMap(r, exitCode));
    String text = new String(json, StandardCharsets.UTF_8);
    String safe = Redact.urlCredentials(text); // a mirror's password
    fs.writeAtomic(PATH, safe.equals(text) ? json : Json.utf8(safe), 0644, -1, -1);
  }
}
