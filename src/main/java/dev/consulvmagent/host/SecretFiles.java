package dev.consulvmagent.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

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

  /** Creates dir 0700 (and missing parents with the process's umask) or checks the existing one. */
  public static void ensureDir(Path dir) {
    try {
      if (Files.isSymbolicLink(dir)) {
        throw new UnsafePathException(dir + " is a symbolic link; give the real directory");
      }
      if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_RWX));
        Files.setPosixFilePermissions(dir, OWNER_RWX); // umask may have taken bits away
        return;
      }
      PosixFileAttributes a =
          Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isDirectory())
        throw new UncheckedIOException(new IOException(dir + " is not a directory"));
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
   * temp name and linked into place, so a crash never leaves a half-written key under the name.
   */
  public static boolean createNew(Path file, byte[] content) {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    try {
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return false;
      Files.deleteIfExists(tmp);
      write(tmp, content, StandardOpenOption.CREATE_NEW);
      try {
        Files.createLink(file, tmp); // fails when file appeared meanwhile: never overwritten
      } catch (FileAlreadyExistsException e) {
        return false;
      } finally {
        Files.deleteIfExists(tmp);
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Replaces file with content, 0600, atomically (an output the operator named with -o): refused
   * when file is a link or not a regular file.
   */
  public static void replace(Path file, byte[] content) {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    try {
      if (Files.isSymbolicLink(file)) {
        throw new UnsafePathException(file + " is a symbolic link; give the real file");
      }
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file)) {
        throw new UncheckedIOException(new IOException(file + " is not a regular file"));
      }
      Files.deleteIfExists(tmp);
      write(tmp, content, StandardOpenOption.CREATE_NEW);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort: the temp file is 0600
      }
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
  public static java.util.List<Path> list(Path dir, String suffix) {
    try (java.util.stream.Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(suffix))
          .filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
          .sorted()
          .toList();
    } catch (IOException e) {
      return java.util.List.of();
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

  private static void write(Path p, byte[] content, OpenOption how) throws IOException {
    try (FileChannel ch =
        FileChannel.open(
            p,
            Set.<OpenOption>of(how, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
            PosixFilePermissions.asFileAttribute(OWNER_RW))) {
      ch.write(ByteBuffer.wrap(content));
      ch.force(true);
    }
  }
}
