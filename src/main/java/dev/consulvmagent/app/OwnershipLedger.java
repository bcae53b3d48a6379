package dev.consulvmagent.app;

import dev.consulvmagent.engine.ResourceKey;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.host.Users;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.spec.Validators;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

  /**
   * The only accounts the agent creates (module/BaseModule's SystemUserResources): uninstall runs
   * userdel for a ledger's user entries, so an edited ledger naming root or sshd must not pass.
   */
  static final Set<String> USERS = Set.of("consul", "envoy");

  private OwnershipLedger() {}

  public static List<String> read(HostFs fs) {
    return fs.readIfExists(PATH)
        .map(
            b -> {
              Object created;
              try {
                created = Json.parseObject(b).get("created");
              } catch (IOException e) {
                created = e.getMessage();
              }
              // damaged or edited (we write it atomically): an empty ledger would make uninstall
              // report
              // "no changes" and leave everything behind, so refuse it instead
              if (!(created instanceof List<?> l)) throw refused("no list \"created\" in it");
              List<String> entries = l.stream().map(String::valueOf).toList();
              for (String e : entries) checkEntry(e);
              return entries;
            })
        .orElse(List.of());
  }

  /**
   * An entry is what {@link #add} records: a normalized absolute path or one of {@link #USERS}.
   * Anything else (a "..", a relative path, a NUL, user:root) was edited in by someone else;
   * uninstall must not guess what it means, so the whole ledger is refused, naming the entry, and
   * nothing is removed.
   */
  private static void checkEntry(String e) {
    var user = ResourceKey.parse(e).filter(k -> k.kind() == ResourceKey.Kind.USER);
    boolean ok =
        user.isPresent()
            ? USERS.contains(user.get().name())
            : e.startsWith("/")
                && e.indexOf('\0') < 0
                && !e.contains("//")
                && Path.of(e).normalize().toString().equals(e);
    if (!ok) {
      throw refused(
          "it lists "
              + Validators.quote(e)
              + ", which the agent never records (a normalized absolute path, or user:consul or"
              + " user:envoy)");
    }
  }

  private static UncheckedIOException refused(String why) {
    String m =
        PATH
            + " is not a ledger the agent wrote: "
            + why
            + ". It was edited or damaged: fix or remove it. Nothing was removed.";
    return new UncheckedIOException(m, new IOException(m));
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
