package dev.consulvmagent.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The filesystem under a root ("/" on a live host, the --root directory otherwise). Every path
 * argument is an absolute path as seen from inside the root. Writes are atomic: a temp file in the
 * same directory, fsync, chmod/chown, rename. A read-only instance (plan) throws on any mutation.
 *
 * <p>No change follows a symbolic link in a managed path: every component but the last must be a
 * real directory (else {@link UnsafePathException}), and the last is never followed either (writes
 * rename over it, chown/chmod act on it with NOFOLLOW, reads refuse it). Looking (stat, read, list)
 * follows links among the parents only inside the root, as a chroot would. So a link planted in the
 * tree (R/etc, R/usr/bin, a *.wants directory, the state or cache directory) can neither lead a
 * write outside the root nor, on a live host, redirect it to another file. The root itself is taken
 * by its real path (a link to R is R).
 */
public final class HostFs {
  private final Path root;
  private final boolean readOnly;

  public HostFs(Path root, boolean readOnly) {
    this.root = realRoot(root);
    this.readOnly = readOnly;
  }

  private HostFs(HostFs of, boolean readOnly) {
    this.root = of.root;
    this.readOnly = readOnly;
  }

  /**
   * Directories a read-only view (one plan pass) has seen to be real directories: looked up once
   * per pass, not once per resource. Never used for a change, which checks afresh.
   */
  private final java.util.Set<Path> seenDirs = java.util.concurrent.ConcurrentHashMap.newKeySet();

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

  public HostFs readOnlyView() {
    return new HostFs(this, true);
  }

  public Path root() {
    return root;
  }

  /**
   * The host path of absPath (absolute, as seen inside the root). Refuses ".." that leaves the root
   * and any symbolic link among the existing components above the last one.
   */
  public Path resolve(String absPath) {
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
  private Path chase(String absPath) {
    Path p = lexical(absPath);
    java.util.ArrayDeque<String> rest = new java.util.ArrayDeque<>();
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
      java.util.ArrayDeque<String> again = new java.util.ArrayDeque<>();
      for (Path n : root.relativize(base)) if (!n.toString().isEmpty()) again.add(n.toString());
      again.addAll(rest);
      rest = again;
      cur = root;
    }
    for (String n : rest) cur = cur.resolve(n);
    return cur;
  }

  private Path lexical(String absPath) {
    if (!absPath.startsWith("/")) throw new IllegalArgumentException("not absolute: " + absPath);
    Path p = root.resolve(absPath.substring(1)).normalize();
    if (!p.startsWith(root)) throw new IllegalArgumentException("escapes the root: " + absPath);
    return p;
  }

  /** Every existing component of p between the root and p itself is a directory, not a link. */
  private void checkAncestors(Path p) {
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

  private UnsafePathException linkRefused(Path link, String managed) {
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
  private String inside(Path p) {
    return "/" + root.relativize(p);
  }

  /** The host path of p (a path inside the root, as from resolve), checked again. */
  private Path own(Path p) {
    Path n = p.toAbsolutePath().normalize();
    if (!n.startsWith(root)) throw new IllegalArgumentException("not under " + root + ": " + p);
    checkAncestors(n);
    return n;
  }

  /**
   * Creates dir and its missing parents under the root (0755, the process owner), never following a
   * link: an existing component that is a link is refused.
   */
  private void mkdirs(Path dir) throws IOException {
    Path rel = root.relativize(dir);
    if (!Files.isDirectory(root)) Files.createDirectories(root);
    Path cur = root;
    for (int i = 0; i < rel.getNameCount(); i++) {
      if (rel.getName(i).toString().isEmpty()) continue;
      cur = cur.resolve(rel.getName(i));
      try {
        Files.createDirectory(cur);
        continue;
      } catch (FileAlreadyExistsException e) {
        // mkdir(2) never follows a link: look at what is there
      }
      BasicFileAttributes a =
          Files.readAttributes(cur, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (a.isSymbolicLink()) throw linkRefused(cur, inside(dir));
      if (!a.isDirectory()) throw new FileSystemException(cur.toString(), null, "not a directory");
    }
  }

  /** Creates the missing directories above p (a path from {@link #resolve}), following no link. */
  public void createParents(Path p) {
    guard("mkdir " + p.getParent());
    try {
      mkdirs(own(p).getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + p.getParent() + ": " + e.getMessage(), e);
    }
  }

  /**
   * A new, empty file for writing at tmp (a temp path from {@link #tempSibling}): O_EXCL, no link.
   */
  public OutputStream newTempFile(Path tmp) throws IOException {
    guard("write " + tmp);
    return Files.newOutputStream(
        own(tmp),
        StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS);
  }

  private void guard(String what) {
    if (readOnly) throw new MutationDuringPlanException(what);
  }

  public Optional<FileStat> stat(String path) {
    Path p = chase(path);
    try {
      Map<String, Object> a =
          Files.readAttributes(
              p,
              "unix:mode,uid,gid,size,lastModifiedTime,isSymbolicLink,isDirectory,isRegularFile",
              LinkOption.NOFOLLOW_LINKS);
      FileStat.Type type =
          (Boolean) a.get("isSymbolicLink")
              ? FileStat.Type.SYMLINK
              : (Boolean) a.get("isDirectory")
                  ? FileStat.Type.DIRECTORY
                  : (Boolean) a.get("isRegularFile") ? FileStat.Type.FILE : FileStat.Type.OTHER;
      return Optional.of(
          new FileStat(
              type,
              ((Integer) a.get("mode")) & 07777,
              (Integer) a.get("uid"),
              (Integer) a.get("gid"),
              (Long) a.get("size"),
              ((FileTime) a.get("lastModifiedTime")).toMillis()));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (FileSystemException e) {
      if (isNotDirectory(e)) return Optional.empty(); // a parent is a file: p cannot exist
      throw new UncheckedIOException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean isNotDirectory(FileSystemException e) {
    return e.getReason() != null && e.getReason().contains("Not a directory");
  }

  public boolean exists(String path) {
    return stat(path).isPresent();
  }

  public byte[] read(String path) {
    return readIfExists(path)
        .orElseThrow(
            () -> new UncheckedIOException(new NoSuchFileException(chase(path).toString())));
  }

  /** The most {@link #readIfExists} reads of one file: more is refused, never read whole. */
  public static final int MAX_READ = 8 << 20;

  /**
   * The content of a regular file; empty if nothing is there. A link or a special file (FIFO,
   * device) is refused, not followed or read forever.
   */
  public Optional<byte[]> readIfExists(String path) {
    Path p = chase(path);
    try (InputStream in = openRegular(p, path)) {
      byte[] b = in.readNBytes(MAX_READ + 1);
      if (b.length > MAX_READ) {
        // a planted or runaway file (a sparse 300 MB ledger, unit or passwd) would run the heap
        // of a small VM out: everything the agent reads whole is far smaller
        throw new FileSystemException(
            p.toString(), null, "larger than " + (MAX_READ >> 20) + " MiB: refusing to read it");
      }
      return Optional.of(b);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Up to max bytes from the start of a regular file; empty for anything else or nothing. */
  public byte[] readHead(String path, int max) {
    Optional<FileStat> st = stat(path);
    if (st.isEmpty() || st.get().type() != FileStat.Type.FILE) return new byte[0];
    try (InputStream in = openRegular(chase(path), path)) {
      return in.readNBytes(max);
    } catch (NoSuchFileException e) {
      return new byte[0];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private InputStream openRegular(Path p, String path) throws IOException {
    BasicFileAttributes a =
        Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (a.isSymbolicLink()) {
      throw new UnsafePathException(
          p
              + " is a symbolic link: consul-vm-agent reads "
              + path
              + " only as a regular file; replace the link with the file");
    }
    if (!a.isRegularFile()) throw new FileSystemException(p.toString(), null, "not a regular file");
    // O_NOFOLLOW: a link swapped in since the look above fails the open (ELOOP)
    return Files.newInputStream(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
  }

  public String sha256(String path) {
    Path p = chase(path);
    try (InputStream in = openRegular(p, path)) {
      MessageDigest md = sha256Digest();
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static MessageDigest sha256Digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String sha256(byte[] content) {
    return HexFormat.of().formatHex(sha256Digest().digest(content));
  }

  public Optional<String> readLink(String path) {
    Path p = chase(path);
    if (!Files.isSymbolicLink(p)) return Optional.empty();
    try {
      return Optional.of(Files.readSymbolicLink(p).toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The names in dir, sorted; empty if dir is absent or not a real directory (a link is not). */
  public List<String> list(String dir) {
    List<String> out = new ArrayList<>();
    Path p = chase(dir);
    if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) return out;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
      for (Path c : ds) out.add(c.getFileName().toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.sort(String::compareTo);
    return out;
  }

  /** Replaces path with content atomically; the file never exists half-written. */
  public void writeAtomic(String path, byte[] content, int mode, int uid, int gid) {
    guard("write " + path);
    Path target = resolve(path);
    Path tmp = tempSibling(target);
    try {
      mkdirs(target.getParent());
      // O_EXCL|O_NOFOLLOW, created 0600: a secret is never readable by others even for an instant
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              Set.<java.nio.file.OpenOption>of(
                  StandardOpenOption.CREATE_NEW,
                  StandardOpenOption.WRITE,
                  LinkOption.NOFOLLOW_LINKS),
              PosixFilePermissions.asFileAttribute(perms(0600)))) {
        ch.write(java.nio.ByteBuffer.wrap(content));
        ch.force(true);
      }
      finishAndRename(tmp, target, mode, uid, gid);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
    }
  }

  /** Moves an already-written temp file (a {@link #tempSibling} of path) over path atomically. */
  public void installTemp(Path tmp, String path, int mode, int uid, int gid) {
    guard("install " + path);
    Path target = resolve(path);
    try {
      Path t = own(tmp);
      if (!target.getParent().equals(t.getParent()) || Files.isSymbolicLink(t)) {
        throw new IllegalArgumentException(tmp + " is not a temp file next to " + path);
      }
      finishAndRename(t, target, mode, uid, gid);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException("cannot install " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Installs a copy of a local file from outside the root (the agent's own jar) at path,
   * atomically, with the source's mtime (so size and mtime identify the copy).
   */
  public void installCopy(Path source, String path, int mode, int uid, int gid, long mtimeMillis) {
    guard("copy to " + path);
    Path target = resolve(path);
    Path tmp = tempSibling(target);
    try {
      mkdirs(target.getParent());
      try (InputStream in = Files.newInputStream(source);
          OutputStream out = newTempFile(tmp)) {
        in.transferTo(out);
      }
      Files.setLastModifiedTime(tmp, FileTime.fromMillis(mtimeMillis));
      finishAndRename(tmp, target, mode, uid, gid);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException(
          "cannot copy " + source + " to " + path + ": " + e.getMessage(), e);
    }
  }

  // ---- host paths the agent manages directly (the download cache, temp files) ---------------
  // p below is a host path from resolve or tempSibling; it is checked again (own), the last
  // component is never followed, and no parent may be a link.

  /** Whether p is a regular file itself (a link to one is not). */
  public boolean isRegularFile(Path p) {
    return Files.isRegularFile(own(p), LinkOption.NOFOLLOW_LINKS);
  }

  /** The size of p itself (a link is not followed). */
  public long size(Path p) throws IOException {
    return Files.readAttributes(own(p), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
        .size();
  }

  /** Reads the regular file p; a link or a special file is refused, never followed or read. */
  public InputStream openFile(Path p) throws IOException {
    Path n = own(p);
    return openRegular(n, inside(n));
  }

  /** Random reads of the regular file p (a zip's central directory), O_NOFOLLOW. */
  public FileChannel openChannel(Path p) throws IOException {
    Path n = own(p);
    if (!Files.isRegularFile(n, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileSystemException(n.toString(), null, "not a regular file");
    }
    return FileChannel.open(n, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
  }

  /** Removes p itself if it is there (a link is removed, not what it points to). */
  public void deleteFile(Path p) throws IOException {
    guard("delete " + p);
    Files.deleteIfExists(own(p));
  }

  /** Renames tmp over target (both in the same directory) atomically, replacing what is there. */
  public void moveTemp(Path tmp, Path target) throws IOException {
    guard("rename " + tmp + " to " + target);
    Path t = own(tmp);
    Path to = own(target);
    if (!t.getParent().equals(to.getParent())) {
      throw new IllegalArgumentException(tmp + " is not next to " + target);
    }
    // rename(2) replaces a link at target; it never writes through it
    Files.move(t, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Copies the regular file source (not a link) to tmp, which must not exist yet. */
  public void copyToTemp(Path source, Path tmp) throws IOException {
    guard("write " + tmp);
    Path from = own(source);
    if (!Files.isRegularFile(from, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileSystemException(from.toString(), null, "not a regular file");
    }
    // Files.copy: the file system's own copy (no buffer of ours); fails if tmp exists
    Files.copy(from, own(tmp));
  }

  /** Size and mtime of a local file outside the root (the agent's own jar). */
  public static FileStat statLocal(Path p) {
    try {
      return new FileStat(
          FileStat.Type.FILE, 0, -1, -1, Files.size(p), Files.getLastModifiedTime(p).toMillis());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void finishAndRename(Path tmp, Path target, int mode, int uid, int gid)
      throws IOException {
    if (uid >= 0) {
      Files.setAttribute(tmp, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(tmp, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }
    Files.setAttribute(tmp, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    checkAncestors(target); // once more right before the rename
    try {
      // rename(2) replaces a link at target; it never writes through it
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("atomic rename not supported for " + target, e);
    }
  }

  /** A fresh temp path next to target: same directory, so the final rename is atomic. */
  public Path tempSibling(Path target) {
    return target.resolveSibling(
        "."
            + target.getFileName()
            + TEMP_MARK
            + Long.toHexString(ThreadLocalRandom.current().nextLong()));
  }

  private static final String TEMP_MARK = ".tmp-";

  /**
   * Removes temp files an interrupted earlier run left in dir for any of names (one listing of the
   * directory), or for any name at all when names is null: those older than runStartMillis. Only
   * call while holding the run lock: then no earlier writer is alive, and this run's own temps are
   * newer. Returns how many went.
   */
  public int removeStaleTemps(String dir, java.util.Set<String> names, long runStartMillis) {
    guard("clean temps in " + dir);
    Path d;
    try {
      d = resolve(dir);
    } catch (UnsafePathException e) {
      return 0; // not ours to clean: the run refuses the path itself where it matters
    }
    if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) return 0;
    int n = 0;
    try (DirectoryStream<Path> ds =
        Files.newDirectoryStream(d, p -> p.getFileName().toString().startsWith("."))) {
      for (Path p : ds) {
        String f = p.getFileName().toString();
        int tmp = f.lastIndexOf(TEMP_MARK);
        if (tmp > 1
            && f.substring(tmp + TEMP_MARK.length()).matches("[0-9a-f]+")
            && (names == null || names.contains(f.substring(1, tmp)))
            && Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() < runStartMillis
            && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
            && Files.deleteIfExists(p)) {
          n++;
        }
      }
    } catch (IOException ignored) {
      // best effort
    }
    return n;
  }

  /**
   * Opens (creating it 0600 if needed) the lock file at path for writing, its parents made without
   * following links; a link or special file there is refused (O_NOFOLLOW), so the lock can never
   * create or lock a file someone else chose.
   */
  public FileChannel openLockFile(String path) {
    guard("lock " + path);
    Path p = resolve(path);
    try {
      mkdirs(p.getParent());
      try {
        BasicFileAttributes a =
            Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink())
          throw new UnsafePathException(
              p + " is a symbolic link: not locking through it; remove it");
        if (!a.isRegularFile())
          throw new FileSystemException(p.toString(), null, "not a regular file");
      } catch (NoSuchFileException e) {
        // created below
      }
      return FileChannel.open(
          p,
          Set.<java.nio.file.OpenOption>of(
              StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
          PosixFilePermissions.asFileAttribute(perms(0600)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open lock " + p + ": " + e.getMessage(), e);
    }
  }

  /**
   * Creates the missing directories of dir (0755) and the file dir/name with content in one atomic
   * step: built under a temp name next to the highest missing directory, then renamed into place.
   * So the file (the ownership ledger naming those very directories) exists exactly when they do,
   * whenever the process is killed. Returns false, creating nothing, if dir exists already (or
   * appears meanwhile). Temp trees a killed earlier attempt left (older than a minute) are removed
   * first.
   */
  public boolean createDirsWithFile(String dir, String name, byte[] content, int mode) {
    guard("mkdir " + dir);
    Path d = resolve(dir);
    Path top = d;
    while (!top.getParent().equals(root)
        && !Files.exists(top.getParent(), LinkOption.NOFOLLOW_LINKS)) top = top.getParent();
    if (Files.exists(d, LinkOption.NOFOLLOW_LINKS)) return false;
    try {
      mkdirs(top.getParent());
      sweepOldTempTrees(top);
      Path tmp = tempSibling(top);
      Path inTmp = tmp.resolve(top.relativize(d));
      Files.createDirectories(tmp); // new, under a random name in a directory checked above
      Files.createDirectories(inTmp);
      try (FileChannel ch =
          FileChannel.open(
              inTmp.resolve(name),
              Set.<java.nio.file.OpenOption>of(
                  StandardOpenOption.CREATE_NEW,
                  StandardOpenOption.WRITE,
                  LinkOption.NOFOLLOW_LINKS),
              PosixFilePermissions.asFileAttribute(perms(mode)))) {
        ch.write(java.nio.ByteBuffer.wrap(content));
        ch.force(true);
      }
      try {
        Files.move(tmp, top, StandardCopyOption.ATOMIC_MOVE); // fails if top appeared meanwhile
        return true;
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        deleteTree(inside(tmp));
        return false;
      } catch (NoSuchFileException e) {
        return false; // swept by the lock holder, who made the directories meanwhile
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
    }
  }

  private void sweepOldTempTrees(Path top) throws IOException {
    removeTempTrees(top, System.currentTimeMillis() - 60_000);
  }

  /**
   * Removes what {@link #createDirsWithFile} left for path when killed before its rename (temp
   * trees next to path) that is older than olderThanMillis. Call while holding the run lock, with
   * the time the lock was asked for: then no living run is building them.
   */
  public void removeStaleTempTrees(String path, long olderThanMillis) {
    guard("clean temps of " + path);
    try {
      removeTempTrees(resolve(path), olderThanMillis);
    } catch (IOException | UncheckedIOException e) {
      // best effort: a leftover is removed by a later run
    }
  }

  private void removeTempTrees(Path top, long olderThanMillis) throws IOException {
    String prefix = "." + top.getFileName() + TEMP_MARK;
    if (!Files.isDirectory(top.getParent(), LinkOption.NOFOLLOW_LINKS)) return;
    try (DirectoryStream<Path> ds =
        Files.newDirectoryStream(
            top.getParent(), p -> p.getFileName().toString().startsWith(prefix))) {
      for (Path p : ds) {
        if (Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() < olderThanMillis)
          deleteTree(inside(p));
      }
    }
  }

  /** Creates a directory (and its parents, 0755); refuses a link or a file in its place. */
  public void mkdir(String path, int mode, int uid, int gid) {
    guard("mkdir " + path);
    Path p = resolve(path);
    try {
      mkdirs(p);
      setAttributes(path, mode, uid, gid);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create directory " + path + ": " + e.getMessage(), e);
    }
  }

  /** chown (when uid >= 0) and chmod of path itself: a link there is refused, never followed. */
  public void setAttributes(String path, int mode, int uid, int gid) {
    guard("chmod/chown " + path);
    Path p = resolve(path);
    try {
      if (Files.isSymbolicLink(p)) {
        throw new UnsafePathException(
            p + " is a symbolic link: not changing owner or mode through it");
      }
      if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
          && (Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS) > 1) {
        // a hard link planted in the tree shares its inode with a file elsewhere (outside the
        // root, /etc/shadow): a chmod/chown here would change that file too. Give the path an
        // inode of its own instead (a copy, renamed over it); the other name keeps the old one.
        Path tmp = tempSibling(p);
        try {
          try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS);
              OutputStream out = newTempFile(tmp)) {
            in.transferTo(out);
          }
          Files.setLastModifiedTime(tmp, Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS));
          finishAndRename(tmp, p, mode, uid, gid);
        } catch (IOException e) {
          deleteQuietly(tmp);
          throw e;
        }
        return;
      }
      if (uid >= 0) {
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
      }
      Files.setAttribute(p, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot set owner/mode of " + path + ": " + e.getMessage(), e);
    }
  }

  /** Points link at target, replacing whatever is there atomically. */
  public void symlink(String link, String target) {
    guard("symlink " + link);
    Path l = resolve(link);
    Path tmp = tempSibling(l);
    try {
      mkdirs(l.getParent());
      Files.createSymbolicLink(tmp, Path.of(target));
      checkAncestors(l);
      Files.move(tmp, l, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException("cannot link " + link + ": " + e.getMessage(), e);
    }
  }

  /** Removes path itself (a link is removed, not what it points to; a directory only if empty). */
  public void delete(String path) {
    guard("delete " + path);
    try {
      Files.deleteIfExists(resolve(path));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Removes the directory path and everything in it, walking with directory handles (openat,
   * unlinkat, O_NOFOLLOW): a link inside is removed, never followed, even if a directory is swapped
   * for a link while we walk.
   */
  public void deleteTree(String path) {
    guard("delete " + path);
    Path p = resolve(path);
    try {
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        return;
      }
      if (!a.isDirectory()) {
        Files.deleteIfExists(p);
        return;
      }
      try (DirectoryStream<Path> parent = Files.newDirectoryStream(p.getParent())) {
        if (!(parent instanceof SecureDirectoryStream<Path> sp)) {
          throw new IOException("this platform cannot remove directories without following links");
        }
        Path name = p.getFileName();
        try (SecureDirectoryStream<Path> d =
            sp.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
          emptyTree(d, 0);
        }
        sp.deleteDirectory(name);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path + ": " + e.getMessage(), e);
    }
  }

  private static void emptyTree(SecureDirectoryStream<Path> dir, int depth) throws IOException {
    if (depth > 256) throw new IOException("directory tree deeper than 256 levels");
    List<Path> names = new ArrayList<>();
    for (Path c : dir) names.add(c.getFileName());
    for (Path n : names) {
      BasicFileAttributes a =
          dir.getFileAttributeView(
                  n,
                  java.nio.file.attribute.BasicFileAttributeView.class,
                  LinkOption.NOFOLLOW_LINKS)
              .readAttributes();
      if (a.isDirectory()) {
        try (SecureDirectoryStream<Path> sub =
            dir.newDirectoryStream(n, LinkOption.NOFOLLOW_LINKS)) {
          emptyTree(sub, depth + 1);
        }
        dir.deleteDirectory(n);
      } else {
        dir.deleteFile(n);
      }
    }
  }

  public static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // best effort on an error path
    }
  }

  static Set<PosixFilePermission> perms(int mode) {
    Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_READ
    };
    for (int i = 0; i < 9; i++) if ((mode & (1 << i)) != 0) s.add(all[i]);
    return s;
  }
}
