package dev.consulvmagent.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * What one run read from the machine, for app/NoopStamp: every path a read went to (through {@link
 * HostFs} or {@link LocalFiles}) with its metadata when first seen, and how many times it did
 * something that is not a file read (ran a process, built an HTTP client, sent a DNS query). A run
 * that ran or asked nothing has a plan that is a function of those files' contents (and the command
 * line, environment and jar app/NoopStamp keys it with); a file whose inode, size, mtime and ctime
 * are the same has the same content: ctime cannot be set back from user space, only by setting the
 * system clock back. Off (a no-op in every method) unless a run {@link #start}s it.
 */
public final class InputLog {
  /** How a path was looked at, so its key says what would have to change for the run to differ. */
  public enum Kind {
    /**
     * Content and metadata of what is at the path, the path's last component not followed (the
     * managed side: HostFs never follows a link at the last component except to report it).
     */
    ENTRY,
    /** The entries of a directory (its mtime and ctime move when one is added or removed). */
    LISTING,
    /** What the path leads to, links followed (an operator's input: --config, the jar). */
    FOLLOWED
  }

  private static volatile InputLog current;

  private final Map<String, String> seen = new ConcurrentHashMap<>();
  private final AtomicInteger effects = new AtomicInteger();
  private final List<String> effectNames = new ArrayList<>();

  private final Set<Path> reports;

  /** When recording started, in nanoseconds since the epoch (the file systems' clock). */
  private final long started;

  private InputLog(Set<Path> reports) {
    this.reports = Set.copyOf(reports);
    Instant now = Instant.now();
    this.started = now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /**
   * Starts recording for this process's run (one run per process: the CLI's apply). reports: files
   * the run writes about itself and no plan reads (last-run.json, the stamp): in a listing of their
   * directory they are left out, so that writing them does not look like a change.
   */
  public static InputLog start(Set<Path> reports) {
    InputLog l = new InputLog(reports);
    current = l;
    return l;
  }

  /** Stops recording (tests; a run is one process otherwise). */
  public static void stop() {
    current = null;
  }

  static void note(Path p, Kind kind) {
    InputLog l = current;
    if (l == null || p == null) return;
    String k = kind.name() + " " + p.toAbsolutePath().normalize();
    if (!l.seen.containsKey(k)) l.seen.putIfAbsent(k, l.key(p, kind));
  }

  /** Whether a run is being recorded. */
  static boolean recording() {
    return current != null;
  }

  /**
   * The agent's own code at p, a class-path entry: a jar's key (links followed), or for a class
   * directory (a development run) its number of files and the newest mtime and ctime among them.
   */
  public static String codeKey(Path p) {
    String k = key(p, Kind.FOLLOWED, Set.of());
    if (!k.startsWith("d ")) return k;
    long[] n = {0, 0};
    try (Stream<Path> s = Files.walk(p)) {
      s.forEach(
          f -> {
            long c = changedNanos(key(f, Kind.ENTRY, Set.of()));
            n[0]++;
            n[1] = Math.max(n[1], c);
          });
    } catch (IOException | RuntimeException e) {
      return "error " + e.getClass().getSimpleName() + " " + System.nanoTime();
    }
    return k + " files " + n[0] + " " + (n[1] / 1_000_000_000L) + "." + (n[1] % 1_000_000_000L);
  }

  /**
   * A path of a root's file system as a read found it (chased: links among its parents followed
   * inside the root) and, when that is not where the path's words lead, every step of those words:
   * a link among them that is changed changes its own key.
   */
  static void note(Path root, Path lexical, Path chased, Kind kind) {
    note(chased, kind);
    if (chased.equals(lexical)) return;
    for (Path a = lexical.getParent();
        a != null && a.startsWith(root) && !a.equals(root);
        a = a.getParent()) note(a, Kind.ENTRY);
  }

  /** A path that could not be resolved: nothing is known of what the run saw. */
  static void unresolved(String path) {
    effect("unresolvable path " + path);
  }

  /** Something that is not a file read: the run's plan may depend on what it answered. */
  static void effect(String what) {
    InputLog l = current;
    if (l == null) return;
    l.effects.incrementAndGet();
    synchronized (l.effectNames) {
      if (l.effectNames.size() < 5) l.effectNames.add(what);
    }
  }

  public int effects() {
    return effects.get();
  }

  /** The first few effects' names (why a run left no stamp). */
  public List<String> effectNames() {
    synchronized (effectNames) {
      return List.copyOf(effectNames);
    }
  }

  /**
   * Every path seen, as "KIND PATH" → its key when first seen, sorted; empty when a path's key
   * changed since (the run may have read either version: nothing is known), or when a file was
   * changed too shortly before the run for its times to tell a next change apart (git's "racily
   * clean" entries): Linux stamps ctime from a coarse clock (a jiffy, up to 10 ms), a file system
   * without sub-second times to the second. Such a file is left for a later run to stamp.
   */
  public Optional<SortedMap<String, String>> unchanged() {
    TreeMap<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> e : seen.entrySet()) {
      String k = e.getKey();
      if (!keyNow(k, reports).equals(e.getValue())) return Optional.empty();
      long changed = changedNanos(e.getValue());
      long margin = changed % 1_000_000_000L == 0 ? 2_000_000_000L : 50_000_000L;
      if (changed >= 0 && changed >= started - margin) return Optional.empty();
      out.put(k, e.getValue());
    }
    return Optional.of(out);
  }

  /** The key now of an entry as recorded, "KIND PATH" (as {@link #unchanged} lists them). */
  public static String keyNow(String entry, Set<Path> reports) {
    int sp = entry.indexOf(' ');
    return key(Path.of(entry.substring(sp + 1)), Kind.valueOf(entry.substring(0, sp)), reports);
  }

  /** A key's ctime in nanoseconds since the epoch; -1 for a key without times. */
  public static long changedNanos(String key) {
    if (key.startsWith("d ") || key.startsWith("absent") || key.startsWith("error")) return -1;
    String t = key.substring(key.lastIndexOf(' ') + 1);
    int dot = t.indexOf('.');
    if (dot < 0) return -1;
    return Long.parseLong(t.substring(0, dot)) * 1_000_000_000L
        + Long.parseLong(t.substring(dot + 1));
  }

  /**
   * What identifies the state at p: "absent", or type, mode, owner, device, inode, link count, and
   * for what is not a directory (or for a directory's listing) size, mtime and ctime to the
   * nanosecond. A directory's own entry leaves its times out: they move whenever any file in it is
   * replaced (last-run.json at every run), which a stat of it does not read.
   */
  String key(Path p, Kind kind) {
    return key(p, kind, reports);
  }

  public static String key(Path p, Kind kind, Set<Path> reports) {
    try {
      Map<String, Object> a =
          kind == Kind.FOLLOWED
              ? Files.readAttributes(p, ATTRIBUTES)
              : Files.readAttributes(p, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
      boolean dir = Boolean.TRUE.equals(a.get("isDirectory"));
      boolean link = Boolean.TRUE.equals(a.get("isSymbolicLink"));
      StringBuilder b = new StringBuilder();
      b.append(dir ? "d" : link ? "l" : Boolean.TRUE.equals(a.get("isRegularFile")) ? "f" : "o");
      for (String n : List.of("mode", "uid", "gid", "dev", "ino", "nlink"))
        b.append(' ').append(a.get(n));
      if (dir && kind == Kind.LISTING) {
        // the names in it, not its times: they move whenever a file in it is replaced
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(p)) {
          s.filter(x -> !reports.contains(x)).forEach(x -> names.add(x.getFileName().toString()));
        }
        Collections.sort(names);
        for (String n : names) b.append(' ').append(n.length()).append(':').append(n);
        // and its times, which also move when an entry is replaced under the same name (between
        // this key and the run's listing, say) — except where the run's own reports are written
        boolean ours = false;
        for (Path r : reports) ours |= p.equals(r.getParent());
        if (!ours) {
          b.append(' ').append(nanos((FileTime) a.get("lastModifiedTime")));
          b.append(' ').append(nanos((FileTime) a.get("ctime")));
        }
      } else if (!dir) {
        b.append(' ').append(a.get("size"));
        b.append(' ').append(nanos((FileTime) a.get("lastModifiedTime")));
        b.append(' ').append(nanos((FileTime) a.get("ctime")));
      }
      return b.toString();
    } catch (NoSuchFileException e) {
      return "absent";
    } catch (IOException | RuntimeException e) {
      // unreadable, not a directory on the way, …: a key that never matches again
      return "error " + e.getClass().getSimpleName() + " " + System.nanoTime();
    }
  }

  /** Named, not "unix:*": that one also looks the owner and group up by name (NSS) every time. */
  private static final String ATTRIBUTES =
      "unix:mode,uid,gid,dev,ino,nlink,size,lastModifiedTime,ctime,isDirectory,isSymbolicLink,"
          + "isRegularFile";

  private static String nanos(FileTime t) {
    Instant i = t.toInstant();
    return i.getEpochSecond() + "." + i.getNano();
  }
}
