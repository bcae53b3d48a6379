package dev.consulvmagent.engine;

import dev.consulvmagent.host.Host;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Before apply converges anything (the caller holds the run lock): temp files next to the plan's
 * paths, and in its resources' scratch directories, older than the run are leftovers of a killed
 * run, and go.
 */
final class TempSweep {
  private TempSweep() {}

  /** The number of leftovers removed. */
  static int run(List<Planned> plan, Host host, Instant start) {
    Map<String, Set<String>> byDir = new LinkedHashMap<>();
    for (Planned p : plan) {
      p.resource()
          .path()
          .ifPresent(
              path -> {
                int slash = path.lastIndexOf('/');
                byDir
                    .computeIfAbsent(
                        slash <= 0 ? "/" : path.substring(0, slash), d -> new HashSet<>())
                    .add(path.substring(slash + 1));
              });
    }
    int stale = 0;
    for (Map.Entry<String, Set<String>> e : byDir.entrySet()) {
      stale += host.fs().removeStaleTemps(e.getKey(), e.getValue(), start.toEpochMilli());
    }
    Set<String> scratch = new TreeSet<>();
    for (Planned p : plan) scratch.addAll(p.resource().scratchDirs());
    for (String d : scratch) stale += host.fs().removeStaleTemps(d, null, start.toEpochMilli());
    return stale;
  }
}
