package dev.consulvmagent.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * Looking at the tree for HostFs: stat, read (regular files only, never a link, FIFO or device, at
 * most {@link #MAX_READ}), list, digest of a file; links among the parents are followed inside the
 * root only ({@link RootPath#chase}).
 */
final class FileReads {
  private final RootPath r;

  FileReads(RootPath r) {
    this.r = r;
  }

  Optional<FileStat> stat(String path) {
    Path p = r.chase(path);
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

  static boolean isNotDirectory(FileSystemException e) {
    return e.getReason() != null && e.getReason().contains("Not a directory");
  }

  boolean exists(String path) {
    return stat(path).isPresent();
  }

  byte[] read(String path) {
    return readIfExists(path)
        .orElseThrow(
            () -> new UncheckedIOException(new NoSuchFileException(r.chase(path).toString())));
  }

  /** The most {@link #readIfExists} reads of one file: more is refused, never read whole. */
  public static final int MAX_READ = 8 << 20;

  /**
   * The content of a regular file; empty if nothing is there. A link or a special file (FIFO,
   * device) is refused, not followed or read forever.
   */
  Optional<byte[]> readIfExists(String path) {
    Path p = r.chase(path);
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
  byte[] readHead(String path, int max) {
    Optional<FileStat> st = stat(path);
    if (st.isEmpty() || st.get().type() != FileStat.Type.FILE) return new byte[0];
    try (InputStream in = openRegular(r.chase(path), path)) {
      return in.readNBytes(max);
    } catch (NoSuchFileException e) {
      return new byte[0];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  InputStream openRegular(Path p, String path) throws IOException {
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

  String sha256(String path) {
    MessageDigest md = Digests.sha256Digest();
    feed(path, md::update);
    return HexFormat.of().formatHex(md.digest());
  }

  /** The CRC-32 (java.util.zip, as in a zip's directory) of a regular file, 8 hex digits. */
  String crc32(String path) {
    CRC32 crc = new CRC32();
    feed(path, crc::update);
    return Digests.crc32Hex(crc.getValue());
  }

  private interface Chunks {
    void update(byte[] b, int off, int len);
  }

  private void feed(String path, Chunks sink) {
    Path p = r.chase(path);
    try (InputStream in = openRegular(p, path)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) sink.update(buf, 0, n);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Optional<String> readLink(String path) {
    Path p = r.chase(path);
    if (!Files.isSymbolicLink(p)) return Optional.empty();
    try {
      return Optional.of(Files.readSymbolicLink(p).toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The names in dir, sorted; empty if dir is absent or not a real directory (a link is not). */
  List<String> list(String dir) {
    List<String> out = new ArrayList<>();
    Path p = r.chase(dir);
    if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) return out;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
      for (Path c : ds) out.add(c.getFileName().toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.sort(String::compareTo);
    return out;
  }

  /** Whether p is a regular file itself (a link to one is not). */
  boolean isRegularFile(Path p) {
    return Files.isRegularFile(r.own(p), LinkOption.NOFOLLOW_LINKS);
  }

  /** The size of p itself (a link is not followed). */
  long size(Path p) throws IOException {
    return Files.readAttributes(r.own(p), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
        .size();
  }

  /** Reads the regular file p; a link or a special file is refused, never followed or read. */
  InputStream openFile(Path p) throws IOException {
    Path n = r.own(p);
    return openRegular(n, r.inside(n));
  }

  /** Random reads of the regular file p (a zip's central directory), O_NOFOLLOW. */
  FileChannel openChannel(Path p) throws IOException {
    Path n = r.own(p);
    if (!Files.isRegularFile(n, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileSystemException(n.toString(), null, "not a regular file");
    }
    return FileChannel.open(n, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
  }

  /** The file system p (a host path under the root) is on, for its free space. */
  FileStore fileStore(Path p) throws IOException {
    return Files.getFileStore(r.own(p));
  }

  /** Size and mtime of a local file outside the root (the agent's own jar). */
  static FileStat statLocal(Path p) {
    try {
      return new FileStat(
          FileStat.Type.FILE, 0, -1, -1, Files.size(p), Files.getLastModifiedTime(p).toMillis());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
