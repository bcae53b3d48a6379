package dev.consulvmagent.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The operator's mesh secrets directory ({@code mesh init DIR}) and the files {@code mesh user-data
 * -o} writes: outside any managed root, on the operator's machine. Files are created 0600 with
 * O_EXCL and O_NOFOLLOW (never readable by others, not even for an instant, never through a link),
 * directories 0700; nothing here overwrites a secret, and a directory or file others can read or
 * write is refused rather than used.
 */
public final class SecretFiles {
  private SecretFiles() {}

  private static final Set<PosixFilePermission> OWNER_RW =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_RWX =
      PosixFilePermissions.fromString("rwx------");

  private static final Path SLASH = Path.of("/");

  /**
   * The directory a path of the operator's names, opened as a handle: links above it are the
   * operator's choice (its real path is walked), the last component is never followed.
   */
  private static DirHandle parentOf(Path p) throws IOException {
    Path parent = p.toAbsolutePath().normalize().getParent();
    if (parent == null) throw new IOException(p + " has no parent directory");
    try {
      return DirHandle.open(SLASH, parent.toRealPath(), false, p.toString());
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(parent + " does not exist; make it first");
    }
  }

  private static String nameOf(Path p) {
    return p.toAbsolutePath().normalize().getFileName().toString();
  }

  /** Creates dir 0700 (its parent must exist) or checks the existing one. */
  public static void ensureDir(Path dir) {
    try (DirHandle parent = parentOf(dir)) {
      String name = nameOf(dir);
      BasicFileAttributes b = parent.statOrNull(name);
      if (b != null && b.isSymbolicLink()) {
        throw new UnsafePathException(dir + " is a symbolic link; give the real directory");
      }
      if (b == null) {
        try (DirHandle made = parent.mkdirOpen(name, SLASH, dir.toString())) {
          made.setOwnAttributes(0700, -1, -1); // umask may have left more; nothing is in it yet
        }
        return;
      }
      PosixFileAttributes a =
          Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isDirectory()) throw new IOException(dir + " is not a directory");
      if (a.permissions().stream().anyMatch(p -> !OWNER_RWX.contains(p))) {
        throw new UnsafePathException(
            dir
                + " is open to other users (mode "
                + PosixFilePermissions.toString(a.permissions())
                + "); it holds the mesh's keys: chmod 700 "
                + dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes a new file 0600; false (nothing written) when something is already there. Written to a
   * temp name and renamed into place through the directory's handle, so a crash never leaves a
   * half-written key under the name.
   */
  public static boolean createNew(Path file, byte[] content) {
    String name = nameOf(file);
    String tmp = "." + name + ".tmp";
    try (DirHandle d = parentOf(file)) {
      if (d.statOrNull(name) != null) return false;
      d.delete(tmp);
      write(d, tmp, content);
      try {
        if (d.statOrNull(name) != null) return false; // appeared meanwhile: never overwritten
        d.rename(tmp, d, name);
        return true;
      } finally {
        d.delete(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Replaces file with content, 0600, atomically (an output the operator named with -o): refused
   * when file is a link or not a regular file.
   */
  public static void replace(Path file, byte[] content) {
    String name = nameOf(file);
    String tmp = "." + name + ".tmp";
    try (DirHandle d = parentOf(file)) {
      BasicFileAttributes a = d.statOrNull(name);
      if (a != null && a.isSymbolicLink()) {
        throw new UnsafePathException(file + " is a symbolic link; give the real file");
      }
      if (a != null && !a.isRegularFile()) throw new IOException(file + " is not a regular file");
      d.delete(tmp);
      try {
        write(d, tmp, content);
        d.rename(tmp, d, name);
      } finally {
        d.delete(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a file of the secrets directory, at most max bytes; empty when it does not exist.
   * Refused: a link, a non-regular file, one others can read or write.
   */
  public static Optional<byte[]> read(Path file, int max) {
    try {
      PosixFileAttributes a;
      try {
        a = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        return Optional.empty();
      }
      if (a.isSymbolicLink() || !a.isRegularFile()) {
        throw new UnsafePathException(
            file + " is not a regular file (a link?); refusing to read it");
      }
      if (a.permissions().stream().anyMatch(p -> !OWNER_RW.contains(p))) {
        throw new UnsafePathException(
            file
                + " is open to other users (mode "
                + PosixFilePermissions.toString(a.permissions())
                + "): chmod 600 "
                + file);
      }
      try (InputStream in =
          Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        byte[] b = in.readNBytes(max + 1);
        if (b.length > max) throw new IOException("larger than " + max + " bytes");
        return Optional.of(b);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether this process's standard output is a terminal: secrets are never written to one. Java
   * 17's System.console() is null as soon as standard input is redirected, so the descriptor is
   * read too (/proc/self/fd/1: a /dev/pts/N, /dev/ttyN or /dev/console is a terminal).
   */
  public static boolean stdoutIsTerminal() {
    if (System.console() != null) return true;
    try {
      String t = Files.readSymbolicLink(Path.of("/proc/self/fd/1")).toString();
      return t.startsWith("/dev/pts/") || t.startsWith("/dev/tty") || t.equals("/dev/console");
    } catch (IOException | UnsupportedOperationException e) {
      return false; // no /proc: System.console() above is all there is
    }
  }

  /** The regular files directly in dir whose names end with suffix, sorted; links skipped. */
  public static List<Path> list(Path dir, String suffix) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(suffix))
          .filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
          .sorted()
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /** The mode bits of file (links not followed), for tests and checks. */
  public static int mode(Path file) {
    try {
      Set<PosixFilePermission> p = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
      int m = 0;
      for (PosixFilePermission x : p) m |= 1 << (8 - x.ordinal());
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(DirHandle d, String name, byte[] content) throws IOException {
    try (FileChannel ch = d.createNew(name, 0600)) {
      ch.write(ByteBuffer.wrap(content));
      ch.force(true);
    }
  }
}
