package dev.consulvmagent.host;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * An open directory, reached from "/" one component at a time without following a link, and the one
 * way {@link HostFs} changes anything: every create, rename, chmod, chown and delete names one
 * entry relative to this handle (openat, renameat, unlinkat, fstatat and fchmod/fchown on an fd
 * opened O_NOFOLLOW), as systemd-tmpfiles' chase() and Go's os.Root do. A directory swapped for a
 * link after the walk cannot redirect the change: the handle holds the directory itself, not its
 * name. Java's {@link SecureDirectoryStream} is the openat family (sun.nio.fs.
 * UnixSecureDirectoryStream on Linux).
 *
 * <p>Two calls have no handle form in Java (no mkdirat, no symlinkat): a missing directory and a
 * new symbolic link are made by path, then checked through the handle (a directory must be there as
 * a real directory, the link must be the one renamed into place). A race that redirects such a path
 * can at worst leave an empty directory or a dangling link elsewhere; it never writes content,
 * changes an owner or mode, or deletes outside the root, and the run then fails naming the path.
 *
 * <p>The JDK opens a subdirectory, and a file for fchmod/fchown, O_RDONLY|O_NOFOLLOW without
 * O_DIRECTORY or O_NONBLOCK (UnixSecureDirectoryStream): each is looked at first (fstatat) and only
 * a directory or regular file is opened, but one swapped for a FIFO between the look and the open
 * would block that open. Walking from "/" needs read permission on each directory of the root's
 * path (root has it; a non-root --root under a traverse-only directory does not).
 */
final class DirHandle implements AutoCloseable {
  private final SecureDirectoryStream<Path> dir;
  private final Path path;

  private DirHandle(SecureDirectoryStream<Path> dir, Path path) {
    this.dir = dir;
    this.path = path;
  }

  /** The host path this handle was opened at (for messages and for the two by-path calls). */
  Path path() {
    return path;
  }

  /**
   * Opens the directory at the host path target (absolute, normalized, under root), walking from
   * "/" without following links. Every component at or below root that is a link is refused with
   * {@link UnsafePathException} naming it and managed (the path being changed, for the message);
   * one that is not a directory fails as such. With create, missing components are made (0755).
   */
  static DirHandle open(Path root, Path target, boolean create, String managed) throws IOException {
    DirectoryStream<Path> slash = Files.newDirectoryStream(Path.of("/"));
    if (!(slash instanceof SecureDirectoryStream<Path> s)) {
      slash.close();
      throw new IOException(
          "this platform has no openat: cannot change files without following" + " links");
    }
    DirHandle cur = new DirHandle(s, Path.of("/"));
    try {
      for (Path name : target) {
        DirHandle next = cur.child(name, root, create, managed);
        cur.close();
        cur = next;
      }
      return cur;
    } catch (IOException | RuntimeException e) {
      cur.close();
      throw e;
    }
  }

  private DirHandle child(Path name, Path root, boolean create, String managed) throws IOException {
    Path at = path.resolve(name.toString());
    BasicFileAttributes a = statOrNull(name.toString());
    if (a == null && create) {
      try {
        // no mkdirat in Java: made by path, then taken only if the handle sees it (below)
        Files.createDirectory(at);
      } catch (FileAlreadyExistsException e) {
        // made meanwhile: look again below
      }
      a = statOrNull(name.toString());
    }
    if (a == null) throw new NoSuchFileException(at.toString());
    if (a.isSymbolicLink()) {
      // above the root, links are the root's own (its real path has none): only a swap lands here
      throw RootPath.linkRefused(at, at.startsWith(root) ? managed : managed + " (above the root)");
    }
    if (!a.isDirectory()) throw new FileSystemException(at.toString(), null, "not a directory");
    // O_NOFOLLOW: a link swapped in since the look above fails the open (ELOOP)
    SecureDirectoryStream<Path> sub = dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
    return new DirHandle(sub, at);
  }

  /** The entry name itself (fstatat, AT_SYMLINK_NOFOLLOW); null if absent. */
  BasicFileAttributes statOrNull(String name) throws IOException {
    try {
      return dir.getFileAttributeView(
              Path.of(name), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .readAttributes();
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** Opens the subdirectory name (a link there is refused: ELOOP). */
  DirHandle openDir(String name) throws IOException {
    BasicFileAttributes a = statOrNull(name);
    if (a == null) throw new NoSuchFileException(path.resolve(name).toString());
    if (a.isSymbolicLink()) throw RootPath.linkRefused(path.resolve(name), path.resolve(name) + "");
    if (!a.isDirectory()) {
      throw new FileSystemException(path.resolve(name).toString(), null, "not a directory");
    }
    return new DirHandle(
        dir.newDirectoryStream(Path.of(name), LinkOption.NOFOLLOW_LINKS), path.resolve(name));
  }

  /** Makes the subdirectory name if it is missing and opens it, following no link. */
  DirHandle mkdirOpen(String name, Path root, String managed) throws IOException {
    return child(Path.of(name), root, true, managed);
  }

  /** A new file name here, O_CREAT|O_EXCL|O_NOFOLLOW, created with mode (umask applies). */
  FileChannel createNew(String name, int mode) throws IOException {
    return (FileChannel)
        dir.newByteChannel(
            Path.of(name),
            Set.<OpenOption>of(
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
            PosixFilePermissions.asFileAttribute(HostFs.perms(mode)));
  }

  /** Opens (creating it with mode if absent) the regular file name for writing, O_NOFOLLOW. */
  FileChannel openOrCreate(String name, int mode) throws IOException {
    return (FileChannel)
        dir.newByteChannel(
            Path.of(name),
            Set.<OpenOption>of(
                StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
            PosixFilePermissions.asFileAttribute(HostFs.perms(mode)));
  }

  /** Reads the regular file name (a link or special file is refused, never opened). */
  FileChannel openRegular(String name) throws IOException {
    BasicFileAttributes a = statOrNull(name);
    if (a == null) throw new NoSuchFileException(path.resolve(name).toString());
    if (!a.isRegularFile()) {
      throw new FileSystemException(path.resolve(name).toString(), null, "not a regular file");
    }
    return (FileChannel)
        dir.newByteChannel(
            Path.of(name), Set.<OpenOption>of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
  }

  /**
   * renameat(this, from, to, name): replaces what is at name (a link is replaced, not followed).
   */
  void rename(String from, DirHandle to, String name) throws IOException {
    dir.move(Path.of(from), to.dir, Path.of(name));
  }

  /** unlinkat: removes name itself (a link, not its target; a directory only if empty). */
  boolean delete(String name) throws IOException {
    BasicFileAttributes a = statOrNull(name);
    if (a == null) return false;
    try {
      if (a.isDirectory()) dir.deleteDirectory(Path.of(name));
      else dir.deleteFile(Path.of(name));
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (DirectoryNotEmptyException e) {
      // the JDK names no file here: name it, as a by-path delete would
      throw new DirectoryNotEmptyException(path.resolve(name).toString());
    }
  }

  /** The names here, unsorted. */
  List<String> names() {
    List<String> out = new ArrayList<>();
    for (Path c : dir) out.add(c.getFileName().toString());
    return out;
  }

  /**
   * chown (uid >= 0) and chmod of the regular file name (fchown/fchmod on an fd opened O_NOFOLLOW):
   * a link or special file there is refused, never followed or opened.
   */
  void setFileAttributes(String name, int mode, int uid, int gid) throws IOException {
    BasicFileAttributes a = statOrNull(name);
    if (a == null) throw new NoSuchFileException(path.resolve(name).toString());
    if (a.isSymbolicLink()) {
      throw new UnsafePathException(
          path.resolve(name) + " is a symbolic link: not changing owner or mode through it");
    }
    if (!a.isRegularFile()) {
      throw new FileSystemException(
          path.resolve(name).toString(), null, "not a regular file or directory");
    }
    setAttributes(
        dir.getFileAttributeView(
            Path.of(name), PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS),
        mode,
        uid,
        gid);
  }

  /** chown (uid >= 0) and chmod of this directory itself (fchown/fchmod on its own fd). */
  void setOwnAttributes(int mode, int uid, int gid) throws IOException {
    setAttributes(dir.getFileAttributeView(PosixFileAttributeView.class), mode, uid, gid);
  }

  /** The modification time of the regular file name (futimens on an fd opened O_NOFOLLOW). */
  void setMtime(String name, FileTime t) throws IOException {
    dir.getFileAttributeView(Path.of(name), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setTimes(t, null, null);
  }

  private static void setAttributes(PosixFileAttributeView v, int mode, int uid, int gid)
      throws IOException {
    if (uid >= 0) {
      // The JDK takes owners as principals: looked up by name first, then as a number (sun.nio.fs.
      // UnixUserPrincipals.lookupName). A host account named like a number would win, so the owner
      // is read back through the same handle (a principal's hashCode is its id there) and checked.
      UserPrincipalLookupService ids = Path.of("/").getFileSystem().getUserPrincipalLookupService();
      UserPrincipal u = ids.lookupPrincipalByName(Integer.toString(uid));
      GroupPrincipal g = ids.lookupPrincipalByGroupName(Integer.toString(gid));
      v.setOwner(u);
      v.setGroup(g);
      PosixFileAttributes now = v.readAttributes();
      if (now.owner().hashCode() != uid || now.group().hashCode() != gid) {
        throw new IOException(
            "owner " + uid + ":" + gid + " did not take (the host has an account named like it)");
      }
    }
    v.setPermissions(HostFs.perms(mode));
  }

  /** Removes everything inside this directory, walking with handles (depth-limited). */
  void empty(int depth) throws IOException {
    if (depth > 256) throw new IOException("directory tree deeper than 256 levels");
    for (String n : names()) {
      BasicFileAttributes a = statOrNull(n);
      if (a == null) continue;
      if (a.isDirectory()) {
        try (DirHandle sub = openDir(n)) {
          sub.empty(depth + 1);
        }
        dir.deleteDirectory(Path.of(n));
      } else {
        dir.deleteFile(Path.of(n));
      }
    }
  }

  @Override
  public void close() throws IOException {
    dir.close();
  }
}
