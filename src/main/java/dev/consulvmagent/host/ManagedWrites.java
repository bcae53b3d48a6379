package dev.consulvmagent.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;

/**
 * The changes HostFs makes to managed paths, each relative to a {@link DirHandle} of its directory:
 * atomic writes (temp file, fsync, fchown/fchmod, renameat), installs of staged files, mkdir,
 * chmod/chown, links, deletes.
 */
final class ManagedWrites {
  private final RootPath r;
  private final TempFiles temps;

  ManagedWrites(RootPath r) {
    this.r = r;
    this.temps = new TempFiles(r);
  }

  /** Creates the missing directories above p (a path from {@link #resolve}), following no link. */
  void createParents(Path p) {
    r.guard("mkdir " + p.getParent());
    try {
      r.parentHandle(p, true).close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + p.getParent() + ": " + e.getMessage(), e);
    }
  }

  /** Replaces path with content atomically; the file never exists half-written. */
  void writeAtomic(String path, byte[] content, int mode, int uid, int gid) {
    writeAtomic(path, content, mode, uid, gid, true);
  }

  /** As above; durable false: not fsynced before the rename (a report, see HostFs). */
  void writeAtomic(String path, byte[] content, int mode, int uid, int gid, boolean durable) {
    r.guard("write " + path);
    checkMode(mode);
    Path target = r.resolve(path);
    String tmp = TempFiles.tempName(RootPath.nameOf(target));
    try (DirHandle d = r.dirHandle(target.getParent(), true, path)) {
      try {
        // O_EXCL|O_NOFOLLOW, created 0600: a secret is never readable by others even for an instant
        try (FileChannel ch = d.createNew(tmp, 0600)) {
          writeFully(ch, content);
          if (durable) ch.force(true);
        }
        finishAndRename(d, tmp, RootPath.nameOf(target), mode, uid, gid);
      } catch (IOException | RuntimeException e) {
        discard(d, tmp);
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
    }
  }

  static void writeFully(FileChannel ch, byte[] content) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(content);
    while (b.hasRemaining()) ch.write(b);
  }

  static void checkMode(int mode) {
    if ((mode & ~0777) != 0) {
      throw new IllegalArgumentException("mode " + Integer.toOctalString(mode) + " beyond 0777");
    }
  }

  /** Moves an already-written temp file (a {@link #tempSibling} of path) over path atomically. */
  void installTemp(Path tmp, String path, int mode, int uid, int gid) {
    installTemp(tmp, path, mode, uid, gid, -1);
  }

  /** The same, giving the file mtimeMillis first (-1: it keeps its own). */
  void installTemp(Path tmp, String path, int mode, int uid, int gid, long mtimeMillis) {
    r.guard("install " + path);
    checkMode(mode);
    Path target = r.resolve(path);
    Path t = r.own(tmp);
    if (!target.getParent().equals(t.getParent())) {
      temps.discardQuietly(tmp);
      throw new IllegalArgumentException(tmp + " is not a temp file next to " + path);
    }
    try (DirHandle d = r.dirHandle(target.getParent(), false, path)) {
      try {
        if (mtimeMillis >= 0) d.setMtime(RootPath.nameOf(t), FileTime.fromMillis(mtimeMillis));
        finishAndRename(d, RootPath.nameOf(t), RootPath.nameOf(target), mode, uid, gid);
      } catch (IOException | RuntimeException e) {
        discard(d, RootPath.nameOf(t));
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
  void installCopy(Path source, String path, int mode, int uid, int gid, long mtimeMillis) {
    checkMode(mode); // before anything is staged; stageCopy refuses a read-only host itself
    installTemp(stageCopy(source, path), path, mode, uid, gid, mtimeMillis);
  }

  /**
   * The first half of {@link #installCopy}: the copy of source in a temp file next to path (its
   * parents created), for {@link #installTemp} to give its mtime and rename over path later. Until
   * then the temp keeps its own mtime, of now: a run's sweep of stale temps removes those older
   * than the run, and a copy staged with the source's mtime was removed under a run that had staged
   * it (seen in scripts/bench: "cannot install …consul-vm-agent.jar" 3 times in 6).
   */
  Path stageCopy(Path source, String path) {
    r.guard("copy to " + path);
    Path target = r.resolve(path);
    String tmp = TempFiles.tempName(RootPath.nameOf(target));
    try (DirHandle d = r.dirHandle(target.getParent(), true, path)) {
      try {
        copyIn(d, source, tmp);
      } catch (IOException | RuntimeException e) {
        discard(d, tmp);
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot copy " + source + " to " + path + ": " + e.getMessage(), e);
    }
    return target.resolveSibling(tmp);
  }

  /** source (outside the root) into a new file tmp (0600) in d. */
  private static void copyIn(DirHandle d, Path source, String tmp) throws IOException {
    try (InputStream in = Files.newInputStream(source);
        OutputStream out = Channels.newOutputStream(d.createNew(tmp, 0600))) {
      in.transferTo(out);
    }
  }

  static void discard(DirHandle d, String name) {
    try {
      d.delete(name);
    } catch (IOException | RuntimeException ignored) {
      // best effort on an error path
    }
  }

  /** chown/chmod the temp file tmp in d (fchown/fchmod, O_NOFOLLOW), then renameat it to name. */
  static void finishAndRename(DirHandle d, String tmp, String name, int mode, int uid, int gid)
      throws IOException {
    d.setFileAttributes(tmp, mode, uid, gid);
    // renameat(2) replaces a link at name; it never writes through it
    d.rename(tmp, d, name);
  }

  /** Creates a directory (and its parents, 0755); refuses a link or a file in its place. */
  void mkdir(String path, int mode, int uid, int gid) {
    r.guard("mkdir " + path);
    checkMode(mode);
    Path p = r.resolve(path);
    try (DirHandle d = r.dirHandle(p, true, path)) {
      d.setOwnAttributes(mode, uid, gid); // fchmod/fchown on the directory's own handle
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create directory " + path + ": " + e.getMessage(), e);
    }
  }

  /** chown (when uid >= 0) and chmod of path itself: a link there is refused, never followed. */
  void setAttributes(String path, int mode, int uid, int gid) {
    r.guard("chmod/chown " + path);
    checkMode(mode);
    Path p = r.resolve(path);
    try {
      if (p.equals(r.root())) {
        try (DirHandle d = r.dirHandle(p, false, path)) {
          d.setOwnAttributes(mode, uid, gid);
        }
        return;
      }
      try (DirHandle d = r.parentHandle(p, false)) {
        String name = RootPath.nameOf(p);
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
          String tmp = TempFiles.tempName(name);
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
  static int linkCount(Path p, BasicFileAttributes a) throws IOException {
    Map<String, Object> byPath =
        Files.readAttributes(p, "unix:nlink,fileKey", LinkOption.NOFOLLOW_LINKS);
    if (!a.fileKey().equals(byPath.get("fileKey"))) {
      throw new FileSystemException(p.toString(), null, "replaced while being changed; run again");
    }
    return (Integer) byPath.get("nlink");
  }

  /** Points link at target, replacing whatever is there atomically. */
  void symlink(String link, String target) {
    r.guard("symlink " + link);
    Path l = r.resolve(link);
    String tmp = TempFiles.tempName(RootPath.nameOf(l));
    try (DirHandle d = r.dirHandle(l.getParent(), true, link)) {
      try {
        // no symlinkat in Java: made by path, then renamed only if the handle sees it as a link
        Files.createSymbolicLink(d.path().resolve(tmp), Path.of(target));
        BasicFileAttributes a = d.statOrNull(tmp);
        if (a == null || !a.isSymbolicLink()) {
          throw new FileSystemException(
              d.path().toString(), null, "changed while linking " + link + "; run again");
        }
        d.rename(tmp, d, RootPath.nameOf(l));
      } catch (IOException | RuntimeException e) {
        discard(d, tmp);
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot link " + link + ": " + e.getMessage(), e);
    }
  }

  /** Removes path itself (a link is removed, not what it points to; a directory only if empty). */
  void delete(String path) {
    r.guard("delete " + path);
    Path p = r.resolve(path);
    try (DirHandle d = r.parentHandle(p, false)) {
      d.delete(RootPath.nameOf(p));
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
  void deleteTree(String path) {
    r.guard("delete " + path);
    Path p = r.resolve(path);
    try (DirHandle d = r.parentHandle(p, false)) {
      deleteTreeIn(d, RootPath.nameOf(p));
    } catch (NoSuchFileException e) {
      // its directory is gone: so is path
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path + ": " + e.getMessage(), e);
    }
  }

  static void deleteTreeIn(DirHandle parent, String name) throws IOException {
    BasicFileAttributes a = parent.statOrNull(name);
    if (a == null) return;
    if (a.isDirectory()) {
      try (DirHandle sub = parent.openDir(name)) {
        sub.empty(0);
      }
    }
    parent.delete(name);
  }
}
