package dev.consulvmagent.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Link-safe resolution of the paths HostFs manages, the security-critical part on its own: an
 * absolute path inside the root becomes a host path (".." never leaves the root), a look follows
 * links among the parents only inside the root (as a chroot would), and every change is made
 * through a {@link DirHandle} reached from "/" without following any link. Also the read-only
 * guard: a plan's view throws on any change.
 */
final class RootPath {
  private final Path root;
  private final boolean readOnly;

  RootPath(Path root, boolean readOnly) {
    this.root = root;
    this.readOnly = readOnly;
  }

  Path root() {
    return root;
  }

  boolean readOnly() {
    return readOnly;
  }

  void guard(String what) {
    if (readOnly) throw new MutationDuringPlanException(what);
  }

  /** The real path of root; for a root not created yet, its nearest existing ancestor's. */
  static Path realRoot(Path root) {
    Path abs = root.toAbsolutePath().normalize();
    Path existing = abs;
    while (existing != null && !Files.exists(existing)) existing = existing.getParent();
    if (existing == null) return abs;
    try {
      return existing.toRealPath().resolve(existing.relativize(abs));
    } catch (IOException e) {
      return abs;
    }
  }

  /**
   * Whether root, followed through links, is this machine's "/" itself (same device and inode: a
   * link to "/" or a bind mount of it).
   */
  static boolean isSlash(Path root) {
    try {
      Object slash = Files.readAttributes(Path.of("/"), BasicFileAttributes.class).fileKey();
      Object it = Files.readAttributes(root, BasicFileAttributes.class).fileKey();
      return slash != null && slash.equals(it);
    } catch (IOException e) {
      return false; // absent: created as a directory of its own
    }
  }

  /**
   * The host path of absPath (absolute, as seen inside the root). Refuses ".." that leaves the root
   * and any symbolic link among the existing components above the last one.
   */
  Path resolve(String absPath) {
    Path p = lexical(absPath);
    checkAncestors(p);
    return p;
  }

  /**
   * For looking only (stat, read, list): the host path of absPath with links among its parents
   * followed the way a chroot would (absolute targets taken inside the root, ".." stopping at it),
   * so probes such as /lib/systemd work on merged-/usr systems; a link that would lead out of the
   * root is refused. What is found this way is never written to: every mutation goes through {@link
   * #resolve}, which refuses such links.
   */
  Path chase(String absPath) {
    Path p = lexical(absPath);
    ArrayDeque<String> rest = new ArrayDeque<>();
    for (Path n : root.relativize(p)) if (!n.toString().isEmpty()) rest.add(n.toString());
    Path cur = root;
    int hops = 0;
    while (rest.size() > 1) {
      Path next = cur.resolve(rest.removeFirst());
      if (readOnly && seenDirs.contains(next)) {
        cur = next;
        continue;
      }
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(next, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        cur = next;
        break; // absent: so is everything below it
      }
      if (!a.isSymbolicLink()) {
        cur = next;
        if (!a.isDirectory()) break;
        if (readOnly) seenDirs.add(next);
        continue;
      }
      Path target;
      try {
        target = Files.readSymbolicLink(next);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Path base =
          (target.isAbsolute()
                  ? root.resolve(target.getRoot().relativize(target))
                  : cur.resolve(target))
              .normalize();
      if (++hops > 40 || !base.startsWith(root)) throw linkRefused(next, absPath);
      ArrayDeque<String> again = new ArrayDeque<>();
      for (Path n : root.relativize(base)) if (!n.toString().isEmpty()) again.add(n.toString());
      again.addAll(rest);
      rest = again;
      cur = root;
    }
    for (String n : rest) cur = cur.resolve(n);
    return cur;
  }

  Path lexical(String absPath) {
    if (!absPath.startsWith("/")) throw new IllegalArgumentException("not absolute: " + absPath);
    Path p = root.resolve(absPath.substring(1)).normalize();
    if (!p.startsWith(root)) throw new IllegalArgumentException("escapes the root: " + absPath);
    return p;
  }

  /** Every existing component of p between the root and p itself is a directory, not a link. */
  void checkAncestors(Path p) {
    Path rel = root.relativize(p);
    Path cur = root;
    for (int i = 0; i < rel.getNameCount() - 1; i++) {
      cur = cur.resolve(rel.getName(i));
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(cur, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        return; // absent (or not a directory): nothing below it exists to be misled by
      }
      if (a.isSymbolicLink()) throw linkRefused(cur, inside(p));
      if (!a.isDirectory()) return;
    }
  }

  static UnsafePathException linkRefused(Path link, String managed) {
    String to;
    try {
      to = " (to " + Files.readSymbolicLink(link) + ")";
    } catch (IOException e) {
      to = "";
    }
    return new UnsafePathException(
        link
            + " is a symbolic link"
            + to
            + " on the way to "
            + managed
            + ": consul-vm-agent never follows links in the paths it manages, so it changed nothing"
            + " there; replace the link with a real directory");
  }

  /** p as seen inside the root, for messages. */
  String inside(Path p) {
    return "/" + root.relativize(p);
  }

  /** The host path of p (a path inside the root, as from resolve), checked again. */
  Path own(Path p) {
    Path n = p.toAbsolutePath().normalize();
    if (!n.startsWith(root)) throw new IllegalArgumentException("not under " + root + ": " + p);
    checkAncestors(n);
    return n;
  }

  /**
   * The directory dir (a host path under the root) as a handle reached without following a link,
   * made with its missing parents (0755) when create. A link on the way is refused naming it.
   */
  DirHandle dirHandle(Path dir, boolean create, String managed) throws IOException {
    Path n = dir.toAbsolutePath().normalize();
    if (!n.startsWith(root)) throw new IllegalArgumentException("not under " + root + ": " + dir);
    return DirHandle.open(root, n, create, managed);
  }

  /** The handle of p's parent directory (p a host path under the root, not the root itself). */
  DirHandle parentHandle(Path p, boolean create) throws IOException {
    Path n = own(p);
    if (n.equals(root)) throw new IllegalArgumentException("the root has no parent here: " + p);
    return dirHandle(n.getParent(), create, inside(n));
  }

  static String nameOf(Path p) {
    return p.getFileName().toString();
  }

  /**
   * Directories a read-only view (one plan pass) has seen to be real directories: looked up once
   * per pass, not once per resource. Never used for a change, which checks afresh.
   */
  private final Set<Path> seenDirs = ConcurrentHashMap.newKeySet();
}
