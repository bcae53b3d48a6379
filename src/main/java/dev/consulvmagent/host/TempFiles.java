package dev.consulvmagent.host;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Temp staging next to a target (same directory, so the final rename is atomic) and the sweeps that
 * remove what an interrupted run left; also the one atomic "directories with their ledger" step.
 */
final class TempFiles {
  private final RootPath r;

  TempFiles(RootPath r) {
    this.r = r;
  }

  /**
   * A new, empty file for writing at tmp (a temp path from {@link #tempSibling}): O_EXCL, no link,
   * opened relative to its directory's handle.
   */
  OutputStream newTempFile(Path tmp) throws IOException {
    r.guard("write " + tmp);
    try (DirHandle d = r.parentHandle(tmp, false)) {
      return Channels.newOutputStream(d.createNew(RootPath.nameOf(tmp), 0666));
    }
  }

  /** Removes p itself if it is there (a link is removed, not what it points to). */
  void deleteFile(Path p) throws IOException {
    r.guard("delete " + p);
    try (DirHandle d = r.parentHandle(p, false)) {
      d.delete(RootPath.nameOf(p));
    } catch (NoSuchFileException e) {
      // its directory is gone: so is p
    }
  }

  /** Removes p (a host path under the root) if it is there; errors ignored (an error path). */
  void discardQuietly(Path p) {
    if (r.readOnly() || p == null) return;
    try {
      deleteFile(p);
    } catch (IOException | RuntimeException ignored) {
      // best effort on an error path
    }
  }

  /** Renames tmp over target (both in the same directory) atomically, replacing what is there. */
  void moveTemp(Path tmp, Path target) throws IOException {
    r.guard("rename " + tmp + " to " + target);
    Path t = r.own(tmp);
    Path to = r.own(target);
    if (!t.getParent().equals(to.getParent())) {
      throw new IllegalArgumentException(tmp + " is not next to " + target);
    }
    try (DirHandle d = r.parentHandle(t, false)) {
      // renameat(2) replaces a link at target; it never writes through it
      d.rename(RootPath.nameOf(t), d, RootPath.nameOf(to));
    }
  }

  /** Copies the regular file source (not a link) to tmp, which must not exist yet. */
  void copyToTemp(Path source, Path tmp) throws IOException {
    r.guard("write " + tmp);
    try (DirHandle from = r.parentHandle(source, false);
        DirHandle to = r.parentHandle(tmp, false);
        FileChannel in = from.openRegular(RootPath.nameOf(source));
        FileChannel out = to.createNew(RootPath.nameOf(tmp), 0666)) {
      long size = in.size();
      long done = 0;
      while (done < size) {
        long n = in.transferTo(done, size - done, out);
        if (n <= 0) break;
        done += n;
      }
    }
  }

  /** A fresh temp path next to target: same directory, so the final rename is atomic. */
  Path tempSibling(Path target) {
    return target.resolveSibling(tempName(RootPath.nameOf(target)));
  }

  static String tempName(String name) {
    return "." + name + TEMP_MARK + Long.toHexString(ThreadLocalRandom.current().nextLong());
  }

  static final String TEMP_MARK = ".tmp-";

  /**
   * Removes temp files an interrupted earlier run left in dir for any of names (one listing of the
   * directory), or for any name at all when names is null: those older than runStartMillis. Only
   * call while holding the run lock: then no earlier writer is alive, and this run's own temps are
   * newer. Returns how many went.
   */
  int removeStaleTemps(String dir, Set<String> names, long runStartMillis) {
    r.guard("clean temps in " + dir);
    int n = 0;
    try (DirHandle d = r.dirHandle(r.resolve(dir), false, dir)) {
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
   * Creates the missing directories of dir (0755) and the file dir/name with content in one atomic
   * step: built under a temp name next to the highest missing directory, then renamed into place.
   * So the file (the ownership ledger naming those very directories) exists exactly when they do,
   * whenever the process is killed. Returns false, creating nothing, if dir exists already (or
   * appears meanwhile). Temp trees a killed earlier attempt left (older than a minute) are removed
   * first.
   */
  boolean createDirsWithFile(String dir, String name, byte[] content, int mode) {
    r.guard("mkdir " + dir);
    Path d = r.resolve(dir);
    Path top = d;
    while (!top.getParent().equals(r.root())
        && !Files.exists(top.getParent(), LinkOption.NOFOLLOW_LINKS)) top = top.getParent();
    if (Files.exists(d, LinkOption.NOFOLLOW_LINKS)) return false;
    String topName = RootPath.nameOf(top);
    try (DirHandle parent = r.dirHandle(top.getParent(), true, dir)) {
      removeTempTrees(parent, topName, System.currentTimeMillis() - 60_000);
      String tmp = tempName(topName);
      DirHandle cur = parent.mkdirOpen(tmp, r.root(), dir); // new, under a random name
      try {
        for (Path c : top.relativize(d)) {
          if (c.toString().isEmpty()) continue;
          DirHandle next = cur.mkdirOpen(c.toString(), r.root(), dir);
          cur.close();
          cur = next;
        }
        try (FileChannel ch = cur.createNew(name, mode)) {
          ManagedWrites.writeFully(ch, content);
          ch.force(true);
        }
      } catch (IOException | RuntimeException e) {
        ManagedWrites.deleteTreeIn(parent, tmp);
        throw e;
      } finally {
        cur.close();
      }
      if (parent.statOrNull(topName) != null) {
        ManagedWrites.deleteTreeIn(parent, tmp);
        return false;
      }
      try {
        parent.rename(tmp, parent, topName);
        return true;
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        ManagedWrites.deleteTreeIn(parent, tmp);
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
  void removeStaleTempTrees(String path, long olderThanMillis) {
    r.guard("clean temps of " + path);
    Path p = r.resolve(path);
    if (p.equals(r.root())) return;
    try (DirHandle parent = r.parentHandle(p, false)) {
      removeTempTrees(parent, RootPath.nameOf(p), olderThanMillis);
    } catch (IOException | UncheckedIOException e) {
      // best effort: a leftover is removed by a later run
    }
  }

  static void removeTempTrees(DirHandle parent, String top, long olderThanMillis)
      throws IOException {
    String prefix = "." + top + TEMP_MARK;
    for (String f : parent.names()) {
      if (!f.startsWith(prefix)) continue;
      BasicFileAttributes a = parent.statOrNull(f);
      if (a != null && a.lastModifiedTime().toMillis() < olderThanMillis)
        ManagedWrites.deleteTreeIn(parent, f);
    }
  }
}
