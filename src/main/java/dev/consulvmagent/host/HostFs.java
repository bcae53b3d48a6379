package dev.consulvmagent.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
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

  /**
   * Whether root, followed through links, is this machine's "/" itself (same device and inode: a
   * link to "/" or a bind mount of it).
   */
  public static boolean isSlash(Path root) {
    try {
      Object slash = Files.readAttributes(Path.of("/"), BasicFileAttributes.class).fileKey();
      Object it = Files.readAttributes(root, BasicFileAttributes.class).fileKey();
      return slash != null && slash.equals(it);
    } catch (IOException e) {
      return false; // absent: created as a directory of its own
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
   * The directory dir (a host path under the root) as a handle reached without following a link,
   * made with its missing parents (0755) when create. A link on the way is refused naming it.
   */
  private DirHandle dirHandle(Path dir, boolean create, String managed) throws IOException {
    Path n = dir.toAbsolutePath().normalize();
    if (!n.startsWith(root)) throw new IllegalArgumentException("not under " + root + ": " + dir);
    return DirHandle.open(root, n, create, managed);
  }

  /** The handle of p's parent directory (p a host path under the root, not the root itself). */
  private DirHandle parentHandle(Path p, boolean create) throws IOException {
    Path n = own(p);
    if (n.equals(root)) throw new IllegalArgumentException("the root has no parent here: " + p);
    return dirHandle(n.getParent(), create, inside(n));
  }

  private static String nameOf(Path p) {
    return p.getFileName().toString();
  }

  /** Creates the missing directories above p (a path from {@link #resolve}), following no link. */
  public void createParents(Path p) {
    guard("mkdir " + p.getParent());
    try {
      parentHandle(p, true).close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + p.getParent() + ": " + e.getMessage(), e);
    }
  }

  /**
   * A new, empty file for writing at tmp (a temp path from {@link #tempSibling}): O_EXCL, no link,
   * opened relative to its directory's handle.
   */
  public OutputStream newTempFile(Path tmp) throws IOException {
    guard("write " + tmp);
    try (DirHandle d = parentHandle(tmp, false)) {
      return Channels.newOutputStream(d.createNew(nameOf(tmp), 0666));
    }
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
    checkMode(mode);
    Path target = resolve(path);
    String tmp = tempName(nameOf(target));
    try (DirHandle d = dirHandle(target.getParent(), true, path)) {
      try {
        // O_EXCL|O_NOFOLLOW, created 0600: a secret is never readable by others even for an instant
        try (FileChannel ch = d.createNew(tmp, 0600)) {
          writeFully(ch, content);
          ch.force(true);
        }
        finishAndRename(d, tmp, nameOf(target), mode, uid, gid);
      } catch (IOException | RuntimeException e) {
        discard(d, tmp);
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
    }
  }

  private static void writeFully(FileChannel ch, byte[] content) throws IOException {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(content);
    while (b.hasRemaining()) ch.write(b);
  }

  private static void checkMode(int mode) {
    if ((mode & ~0777) != 0) {
      throw new IllegalArgumentException("mode " + Integer.toOctalString(mode) + " beyond 0777");
    }
  }

  /** Moves an already-written temp file (a {@link #tempSibling} of path) over path atomically. */
  public void installTemp(Path tmp, String path, int mode, int uid, int gid) {
    guard("install " + path);
    checkMode(mode);
    Path target = resolve(path);
    Path t = own(tmp);
    if (!target.getParent().equals(t.getParent())) {
      discardQuietly(tmp);
      throw new IllegalArgumentException(tmp + " is not a temp file next to " + path);
    }
    try (DirHandle d = dirHandle(target.getParent(), false, path)) {
      try {
        finishAndRename(d, nameOf(t), nameOf(target), mode, uid, gid);
      } catch (IOException | RuntimeException e) {
        discard(d, nameOf(t));
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot install " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Installs a copy of a local file from outside the root (the agent's own jar) at path,
   * atomically, with the source's mtime (so size and mtime identify the copy).
   */
  public void installCopy(Path source, String path, int mode, int uid, int gid, long mtimeMillis) {
    guard("copy to " + path);
    checkMode(mode);
    Path target = resolve(path);
    String tmp = tempName(nameOf(target));
    try (DirHandle d = dirHandle(target.getParent(), true, path)) {
      try {
        try (InputStream in = Files.newInputStream(source);
            OutputStream out = Channels.newOutputStream(d.createNew(tmp, 0600))) {
          in.transferTo(out);
        }
        d.setMtime(tmp, FileTime.fromMillis(mtimeMillis));
        finishAndRename(d, tmp, nameOf(target), mode, uid, gid);
      } catch (IOException | RuntimeException e) {
        discard(d, tmp);
        throw e;
      }
    } catch (IOException e) {
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
    try (DirHandle d = parentHandle(p, false)) {
      d.delete(nameOf(p));
    } catch (NoSuchFileException e) {
      // its directory is gone: so is p
    }
  }

  /** Removes p (a host path under the root) if it is there; errors ignored (an error path). */
  public void discardQuietly(Path p) {
    if (readOnly || p == null) return;
    try {
      deleteFile(p);
    } catch (IOException | RuntimeException ignored) {
      // best effort on an error path
    }
  }

  private static void discard(DirHandle d, String name) {
    try {
      d.delete(name);
    } catch (IOException | RuntimeException ignored) {
      // best effort on an error path
    }
  }

  /** Renames tmp over target (both in the same directory) atomically, replacing what is there. */
  public void moveTemp(Path tmp, Path target) throws IOException {
    guard("rename " + tmp + " to " + target);
    Path t = own(tmp);
    Path to = own(target);
    if (!t.getParent().equals(to.getParent())) {
      throw new IllegalArgumentException(tmp + " is not next to " + target);
    }
    try (DirHandle d = parentHandle(t, false)) {
      // renameat(2) replaces a link at target; it never writes through it
      d.rename(nameOf(t), d, nameOf(to));
    }
  }

  /** Copies the regular file source (not a link) to tmp, which must not exist yet. */
  public void copyToTemp(Path source, Path tmp) throws IOException {
    guard("write " + tmp);
    try (DirHandle from = parentHandle(source, false);
        DirHandle to = parentHandle(tmp, false);
        FileChannel in = from.openRegular(nameOf(source));
        FileChannel out = to.createNew(nameOf(tmp), 0666)) {
      long size = in.size();
      long done = 0;
      while (done < size) {
        long n = in.transferTo(done, size - done, out);
        if (n <= 0) break;
        done += n;
      }
    }
  }

  /** The file system p (a host path under the root) is on, for its free space. */
  public java.nio.file.FileStore fileStore(Path p) throws IOException {
    return Files.getFileStore(own(p));
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

  /** chown/chmod the temp file tmp in d (fchown/fchmod, O_NOFOLLOW), then renameat it to name. */
  private static void finishAndRename(
      DirHandle d, String tmp, String name, int mode, int uid, int gid) throws IOException {
    d.setFileAttributes(tmp, mode, uid, gid);
    // renameat(2) replaces a link at name; it never writes through it
    d.rename(tmp, d, name);
  }

  /** A fresh temp path next to target: same directory, so the final rename is atomic. */
  public Path tempSibling(Path target) {
    return target.resolveSibling(tempName(nameOf(target)));
  }

  private static String tempName(String name) {
    return "." + name + TEMP_MARK + Long.toHexString(ThreadLocalRandom.current().nextLong());
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
    int n = 0;
    try (DirHandle d = dirHandle(resolve(dir), false, dir)) {
      for (String f : d.names()) {
        int tmp = f.lastIndexOf(TEMP_MARK);
        if (!f.startsWith(".")
            || tmp <= 1
            || !f.substring(tmp + TEMP_MARK.length()).matches("[0-9a-f]+")
            || (names != null && !names.contains(f.substring(1, tmp)))) {
          continue;
        }
        BasicFileAttributes a = d.statOrNull(f);
        if (a != null
            && a.lastModifiedTime().toMillis() < runStartMillis
            && !a.isDirectory()
            && d.delete(f)) {
          n++;
        }
      }
    } catch (IOException | UncheckedIOException e) {
      // best effort; a link or a file in dir's place is not ours to clean: the run refuses the
      // path itself where it matters
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
    try (DirHandle d = dirHandle(p.getParent(), true, path)) {
      BasicFileAttributes a = d.statOrNull(nameOf(p));
      if (a != null && a.isSymbolicLink())
        throw new UnsafePathException(p + " is a symbolic link: not locking through it; remove it");
      if (a != null && !a.isRegularFile())
        throw new FileSystemException(p.toString(), null, "not a regular file");
      return d.openOrCreate(nameOf(p), 0600);
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
    String topName = nameOf(top);
    try (DirHandle parent = dirHandle(top.getParent(), true, dir)) {
      removeTempTrees(parent, topName, System.currentTimeMillis() - 60_000);
      String tmp = tempName(topName);
      DirHandle cur = parent.mkdirOpen(tmp, root, dir); // new, under a random name
      try {
        for (Path c : top.relativize(d)) {
          if (c.toString().isEmpty()) continue;
          DirHandle next = cur.mkdirOpen(c.toString(), root, dir);
          cur.close();
          cur = next;
        }
        try (FileChannel ch = cur.createNew(name, mode)) {
          writeFully(ch, content);
          ch.force(true);
        }
      } catch (IOException | RuntimeException e) {
        deleteTreeIn(parent, tmp);
        throw e;
      } finally {
        cur.close();
      }
      if (parent.statOrNull(topName) != null) {
        deleteTreeIn(parent, tmp);
        return false;
      }
      try {
        parent.rename(tmp, parent, topName);
        return true;
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        deleteTreeIn(parent, tmp);
        return false;
      } catch (NoSuchFileException e) {
        return false; // swept by the lock holder, who made the directories meanwhile
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Removes what {@link #createDirsWithFile} left for path when killed before its rename (temp
   * trees next to path) that is older than olderThanMillis. Call while holding the run lock, with
   * the time the lock was asked for: then no living run is building them.
   */
  public void removeStaleTempTrees(String path, long olderThanMillis) {
    guard("clean temps of " + path);
    Path p = resolve(path);
    if (p.equals(root)) return;
    try (DirHandle parent = parentHandle(p, false)) {
      removeTempTrees(parent, nameOf(p), olderThanMillis);
    } catch (IOException | UncheckedIOException e) {
      // best effort: a leftover is removed by a later run
    }
  }

  private static void removeTempTrees(DirHandle parent, String top, long olderThanMillis)
      throws IOException {
    String prefix = "." + top + TEMP_MARK;
    for (String f : parent.names()) {
      if (!f.startsWith(prefix)) continue;
      BasicFileAttributes a = parent.statOrNull(f);
      if (a != null && a.lastModifiedTime().toMillis() < olderThanMillis) deleteTreeIn(parent, f);
    }
  }

  /** Creates a directory (and its parents, 0755); refuses a link or a file in its place. */
  public void mkdir(String path, int mode, int uid, int gid) {
    guard("mkdir " + path);
    checkMode(mode);
    Path p = resolve(path);
    try (DirHandle d = dirHandle(p, true, path)) {
      d.setOwnAttributes(mode, uid, gid); // fchmod/fchown on the directory's own handle
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create directory " + path + ": " + e.getMessage(), e);
    }
  }

  /** chown (when uid >= 0) and chmod of path itself: a link there is refused, never followed. */
  public void setAttributes(String path, int mode, int uid, int gid) {
    guard("chmod/chown " + path);
    checkMode(mode);
    Path p = resolve(path);
    try {
      if (p.equals(root)) {
        try (DirHandle d = dirHandle(p, false, path)) {
          d.setOwnAttributes(mode, uid, gid);
        }
        return;
      }
      try (DirHandle d = parentHandle(p, false)) {
        String name = nameOf(p);
        BasicFileAttributes a = d.statOrNull(name);
        if (a == null) throw new NoSuchFileException(p.toString());
        if (a.isSymbolicLink()) {
          throw new UnsafePathException(
              p + " is a symbolic link: not changing owner or mode through it");
        }
        if (a.isDirectory()) {
          try (DirHandle sub = d.openDir(name)) {
            sub.setOwnAttributes(mode, uid, gid);
          }
          return;
        }
        if (a.isRegularFile() && linkCount(p, a) > 1) {
          // a hard link planted in the tree shares its inode with a file elsewhere (outside the
          // root, /etc/shadow): a chmod/chown here would change that file too. Give the path an
          // inode of its own instead (a copy, renamed over it); the other name keeps the old one.
          String tmp = tempName(name);
          try {
            try (FileChannel in = d.openRegular(name);
                OutputStream out = Channels.newOutputStream(d.createNew(tmp, 0600))) {
              Channels.newInputStream(in).transferTo(out);
            }
            d.setMtime(tmp, a.lastModifiedTime());
            finishAndRename(d, tmp, name, mode, uid, gid);
          } catch (IOException | RuntimeException e) {
            discard(d, tmp);
            throw e;
          }
          return;
        }
        d.setFileAttributes(name, mode, uid, gid);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot set owner/mode of " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * The link count of the file a (from the handle) describes. Java's handle gives no nlink, so it
   * is read by path and taken only if that path is still the same inode (device and inode number).
   */
  private static int linkCount(Path p, BasicFileAttributes a) throws IOException {
    Map<String, Object> byPath =
        Files.readAttributes(p, "unix:nlink,fileKey", LinkOption.NOFOLLOW_LINKS);
    if (!a.fileKey().equals(byPath.get("fileKey"))) {
      throw new FileSystemException(p.toString(), null, "replaced while being changed; run again");
    }
    return (Integer) byPath.get("nlink");
  }

  /** Points link at target, replacing whatever is there atomically. */
  public void symlink(String link, String target) {
    guard("symlink " + link);
    Path l = resolve(link);
    String tmp = tempName(nameOf(l));
    try (DirHandle d = dirHandle(l.getParent(), true, link)) {
      try {
        // no symlinkat in Java: made by path, then renamed only if the handle sees it as a link
        Files.createSymbolicLink(d.path().resolve(tmp), Path.of(target));
        BasicFileAttributes a = d.statOrNull(tmp);
        if (a == null || !a.isSymbolicLink()) {
          throw new FileSystemException(
              d.path().toString(), null, "changed while linking " + link + "; run again");
        }
        d.rename(tmp, d, nameOf(l));
      } catch (IOException | RuntimeException e) {
        discard(d, tmp);
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot link " + link + ": " + e.getMessage(), e);
    }
  }

  /** Removes path itself (a link is removed, not what it points to; a directory only if empty). */
  public void delete(String path) {
    guard("delete " + path);
    Path p = resolve(path);
    try (DirHandle d = parentHandle(p, false)) {
      d.delete(nameOf(p));
    } catch (NoSuchFileException e) {
      // its directory is gone: so is path
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
    try (DirHandle d = parentHandle(p, false)) {
      deleteTreeIn(d, nameOf(p));
    } catch (NoSuchFileException e) {
      // its directory is gone: so is path
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path + ": " + e.getMessage(), e);
    }
  }

  private static void deleteTreeIn(DirHandle parent, String name) throws IOException {
    BasicFileAttributes a = parent.statOrNull(name);
    if (a == null) return;
    if (a.isDirectory()) {
      try (DirHandle sub = parent.openDir(name)) {
        sub.empty(0);
      }
    }
    parent.delete(name);
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
