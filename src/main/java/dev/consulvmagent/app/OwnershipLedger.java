package dev.consulvmagent.app;

import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The ledger of what the agent created on this host (files, links, directories, users):
 * /var/lib/consul-vm-agent/owned.json. uninstall removes exactly what is in it.
 */
public final class OwnershipLedger {
  public static final String PATH = "/var/lib/consul-vm-agent/owned.json";

  private OwnershipLedger() {}

  public static List<String> read(HostFs fs) {
    return fs.readIfExists(PATH).map(b -> {
      try {
        if (!(Json.parseObject(b).get("created") instanceof List<?> l)) return List.<String>of();
        return l.stream().map(String::valueOf).toList();
      } catch (IOException e) {
        return List.<String>of();
      }
    }).orElse(List.of());
  }

  /** Adds what a run created, drops what it removed, and writes the ledger atomically. */
  public static void update(HostFs fs, List<String> created, List<String> removed) {
    if (created.isEmpty() && removed.isEmpty()) return;
    TreeSet<String> all = new TreeSet<>(read(fs));
    all.addAll(created);
    all.removeAll(removed);
    fs.writeAtomic(PATH, Json.render(Map.of("created", new ArrayList<>(all))), 0600, -1, -1);
  }
}
