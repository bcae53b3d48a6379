package dev.consulvmagent.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
 * argument is an absolute path as seen from inside the root. Writes are atomic: a temp file in
 * the same directory, fsync, chmod/chown, rename. A read-only instance (plan) throws on any
 * mutation.
 */
public final class HostFs {
  private final Path root;
  private final boolean readOnly;

  public HostFs(Path root, boolean readOnly) {
    this.root = root.toAbsolutePath().normalize();
    this.readOnly = readOnly;
  }

  public HostFs readOnlyView() {
    return new HostFs(root, true);
  }

  public Path root() {
    return root;
  }

  public Path resolve(String absPath) {
    if (!absPath.startsWith("/")) throw new IllegalArgumentException("not absolute: " + absPath);
    Path p = root.resolve(absPath.substring(1)).normalize();
    if (!p.startsWith(root)) throw new IllegalArgumentException("escapes the root: " + absPath);
    return p;
  }

  private void guard(String what) {
    if (readOnly) throw new MutationDuringPlanException(what);
  }

  public Optional<FileStat> stat(String path) {
    Path p = resolve(path);
    try {
      Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime,isSymbolicLink,isDirectory,isRegularFile", LinkOption.NOFOLLOW_LINKS);
      FileStat.Type type = (Boolean) a.get("isSymbolicLink") ? FileStat.Type.SYMLINK
          : (Boolean) a.get("isDirectory") ? FileStat.Type.DIRECTORY
          : (Boolean) a.get("isRegularFile") ? FileStat.Type.FILE : FileStat.Type.OTHER;
      return Optional.of(new FileStat(type, ((Integer) a.get("mode")) & 07777, (Integer) a.get("uid"),
          (Integer) a.get("gid"), (Long) a.get("size"), ((FileTime) a.get("lastModifiedTime")).toMillis()));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public boolean exists(String path) {
    return stat(path).isPresent();
  }

  public byte[] read(String path) {
    try {
      return Files.readAllBytes(resolve(path));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Optional<byte[]> readIfExists(String path) {
    try {
      return Optional.of(Files.readAllBytes(resolve(path)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String sha256(String path) {
    try (InputStream in = Files.newInputStream(resolve(path))) {
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
    Path p = resolve(path);
    if (!Files.isSymbolicLink(p)) return Optional.empty();
    try {
      return Optional.of(Files.readSymbolicLink(p).toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public List<String> list(String dir) {
    List<String> out = new ArrayList<>();
    Path p = resolve(dir);
    if (!Files.isDirectory(p)) return out;
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
      Files.createDirectories(target.getParent());
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        // mode first, so a secret is never readable by others even for an instant
        Files.setPosixFilePermissions(tmp, perms(mode & 0777));
        ch.write(java.nio.ByteBuffer.wrap(content));
        ch.force(true);
      }
      finishAndRename(tmp, target, mode, uid, gid);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
    }
  }

  /** Moves an already-written temp file (inside the root) over path atomically. */
  public void installTemp(Path tmp, String path, int mode, int uid, int gid) {
    guard("install " + path);
    try {
      finishAndRename(tmp, resolve(path), mode, uid, gid);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException("cannot install " + path + ": " + e.getMessage(), e);
    }
  }

  private void finishAndRename(Path tmp, Path target, int mode, int uid, int gid) throws IOException {
    if (uid >= 0) {
      Files.setAttribute(tmp, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(tmp, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }
    Files.setAttribute(tmp, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("atomic rename not supported for " + target, e);
    }
  }

  /** A fresh temp path next to target: same directory, so the final rename is atomic. */
  public Path tempSibling(Path target) {
    return target.resolveSibling("." + target.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
  }

  /**
   * Removes temp files an interrupted earlier run left in dir for any of names (one listing of
   * the directory): those older than runStartMillis. Only call while holding the run lock: then
   * no earlier writer is alive, and this run's own temps are newer. Returns how many went.
   */
  public int removeStaleTemps(String dir, java.util.Set<String> names, long runStartMillis) {
    guard("clean temps in " + dir);
    Path d = resolve(dir);
    if (!Files.isDirectory(d)) return 0;
    int n = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(d, p -> p.getFileName().toString().startsWith("."))) {
      for (Path p : ds) {
        String f = p.getFileName().toString();
        int tmp = f.lastIndexOf(".tmp-");
        if (tmp > 1 && names.contains(f.substring(1, tmp))
            && Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() < runStartMillis && Files.deleteIfExists(p)) {
          n++;
        }
      }
    } catch (IOException ignored) {
      // best effort
    }
    return n;
  }

  public void mkdir(String path, int mode, int uid, int gid) {
    guard("mkdir " + path);
    Path p = resolve(path);
    try {
      Files.createDirectories(p.getParent());
      try {
        Files.createDirectory(p);
      } catch (FileAlreadyExistsException ignored) {
        // converge attributes below
      }
      setAttributes(path, mode, uid, gid);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create directory " + path + ": " + e.getMessage(), e);
    }
  }

  public void setAttributes(String path, int mode, int uid, int gid) {
    guard("chmod/chown " + path);
    Path p = resolve(path);
    try {
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
      Files.createDirectories(l.getParent());
      Files.createSymbolicLink(tmp, Path.of(target));
      Files.move(tmp, l, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException("cannot link " + link + ": " + e.getMessage(), e);
    }
  }

  public void delete(String path) {
    guard("delete " + path);
    try {
      Files.deleteIfExists(resolve(path));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path + ": " + e.getMessage(), e);
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
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ
    };
    for (int i = 0; i < 9; i++) if ((mode & (1 << i)) != 0) s.add(all[i]);
    return s;
  }
}
