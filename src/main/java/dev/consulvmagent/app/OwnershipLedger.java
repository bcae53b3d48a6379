package dev.consulvmagent.app;

import dev.consulvmagent.engine.ResourceKey;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.host.Users;
import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The ledger of what the agent created on this host (files, links, directories, users):
 * /var/lib/consul-vm-agent/owned.json. uninstall removes exactly what is in it.
 *
 * <p>A path is recorded before it is created ({@link #add}, under the run lock), so a run killed at
 * any moment leaves nothing unrecorded; at the end of a run ({@link #update}) entries that do not
 * exist are dropped again, so a path that was only about to be created never becomes ours.
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

  /** Records paths (or user:NAME) this run is about to create; call before creating them. */
  public static void add(HostFs fs, Collection<String> paths) {
    TreeSet<String> all = new TreeSet<>(read(fs));
    if (all.containsAll(paths)) return;
    all.addAll(paths);
    write(fs, all);
  }

  /**
   * Adds what a run created, drops what it removed and what does not exist (recorded ahead but
   * never created, or removed by someone else since), and writes the ledger atomically.
   */
  public static void update(HostFs fs, List<String> created, List<String> removed) {
    List<String> had = read(fs);
    TreeSet<String> all = new TreeSet<>(had);
    all.addAll(created);
    all.removeAll(removed);
    Users users = Users.read(fs);
    all.removeIf(e -> !exists(fs, users, e));
    if (!all.equals(new TreeSet<>(had))) write(fs, all);
  }

  private static boolean exists(HostFs fs, Users users, String entry) {
    var key = ResourceKey.parse(entry).filter(k -> k.kind() == ResourceKey.Kind.USER);
    if (key.isPresent()) return users.uid(key.get().name()).isPresent();
    try {
      return fs.exists(entry);
    } catch (UncheckedIOException | IllegalArgumentException e) {
      return true; // cannot tell (a link on the way): keep it, uninstall decides
    }
  }

  private static void write(HostFs fs, TreeSet<String> all) {
    fs.writeAtomic(PATH, render(all), 0600, -1, -1);
  }

  /** The ledger's bytes for these entries. */
  static byte[] render(Collection<String> entries) {
    return Json.render(Map.of("created", new ArrayList<>(new TreeSet<>(entries))));
  }
}
