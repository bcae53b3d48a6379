package dev.consulvmagent.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The run lock's file: opened O_NOFOLLOW through its directory's handle, never a link or a file
 * someone else chose.
 */
final class LockFiles {
  private final RootPath r;

  LockFiles(RootPath r) {
    this.r = r;
  }

  /**
   * Opens (creating it 0600 if needed) the lock file at path for writing, its parents made without
   * following links; a link or special file there is refused (O_NOFOLLOW), so the lock can never
   * create or lock a file someone else chose.
   */
  FileChannel openLockFile(String path) {
    r.guard("lock " + path);
    Path p = r.resolve(path);
    try (DirHandle d = r.dirHandle(p.getParent(), true, path)) {
      BasicFileAttributes a = d.statOrNull(RootPath.nameOf(p));
      if (a != null && a.isSymbolicLink())
        throw new UnsafePathException(p + " is a symbolic link: not locking through it; remove it");
      if (a != null && !a.isRegularFile())
        throw new FileSystemException(p.toString(), null, "not a regular file");
      return d.openOrCreate(RootPath.nameOf(p), 0600);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open lock " + p + ": " + e.getMessage(), e);
    }
  }
}
