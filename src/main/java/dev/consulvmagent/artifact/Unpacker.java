package dev.consulvmagent.artifact;

import dev.consulvmagent.host.HostFs;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Locale;
import java.util.zip.CRC32;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Takes the program out of a verified archive in the cache, within {@link Limits}: entry count,
 * size of the program, bytes decompressed and compression ratio are bounded while reading, and only
 * a regular file is ever taken as the program (a symlink, hardlink, device or FIFO entry is
 * refused, never written as a 0-byte file or as its link text).
 */
final class Unpacker {
  private static final int IO_BUFFER = 1 << 18;
  private static final int S_IFMT = 0170000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFDIR = 0040000;

  private Unpacker() {}

  /** A damaged or unexpected archive; the message says what arrived. */
  static final class NotAnArchive extends ArtifactException {
    NotAnArchive(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Unpacks the program into temp; returns its CRC-32 (java.util.zip.CRC32#getValue). */
  static long unpack(Artifact a, HostFs fs, Path archive, Path temp, Limits limits, Arrival arrival)
      throws IOException {
    try {
      return a.packing() == Artifact.Packing.ZIP
          ? unzip(a, fs, archive, temp, limits)
          : untar(a, fs, archive, temp, limits);
    } catch (ReadFailure e) {
      String kind = a.packing() == Artifact.Packing.ZIP ? "zip archive" : "tar.gz archive";
      throw new NotAnArchive(
          a.name()
              + ": "
              + a.url()
              + " is not a valid "
              + kind
              + " ("
              + e.getCause().getMessage()
              + "): "
              + arrival.describe()
              + "; check the URL or the mirror",
          e.getCause());
    }
  }

  /** An I/O error while reading the archive (not while writing the program). */
  private static final class ReadFailure extends IOException {
    ReadFailure(IOException cause) {
      super(cause);
    }
  }

  private static ArtifactException bomb(Artifact a, String what) {
    return new ArtifactException(
        a.name()
            + ": "
            + a.url()
            + " "
            + what
            + "; refusing to unpack it (an archive bomb or the wrong file?)");
  }

  // ---- zip: the central directory is authoritative (entry types live only there) ------------

  private static long unzip(Artifact a, HostFs fs, Path archive, Path temp, Limits limits)
      throws IOException {
    long entries = centralDirectoryEntries(a, fs, archive, limits.maxDirectory());
    if (entries > limits.maxEntries())
      bombOf(a, "has " + entries + " entries, more than " + limits.maxEntries());
    ZipFile zf;
    try {
      // the channel from HostFs (regular file, O_NOFOLLOW); ZipFile closes it, on errors too
      zf =
          ZipFile.builder()
              .setSeekableByteChannel(fs.openChannel(archive))
              .setUseUnicodeExtraFields(true)
              .get();
    } catch (IOException e) {
      throw new ReadFailure(e);
    }
    try (zf) {
      ZipArchiveEntry chosen = null;
      int seen = 0;
      for (Enumeration<ZipArchiveEntry> en = zf.getEntries(); en.hasMoreElements(); ) {
        ZipArchiveEntry e = en.nextElement();
        if (++seen > limits.maxEntries())
          throw bomb(a, "has more than " + limits.maxEntries() + " entries");
        int type = e.getPlatform() == ZipArchiveEntry.PLATFORM_UNIX ? e.getUnixMode() & S_IFMT : 0;
        if (e.isDirectory() || type == S_IFDIR) continue;
        String base = baseName(e.getName());
        if (!wanted(a, base)) continue;
        if (e.isUnixSymlink() || (type != 0 && type != S_IFREG)) {
          throw notRegular(
              a,
              e.getName(),
              e.isUnixSymlink()
                  ? "a symbolic link"
                  : "a special file (mode " + Integer.toOctalString(e.getUnixMode()) + ")");
        }
        if (chosen != null) throw several(a, baseName(chosen.getName()), base);
        chosen = e;
      }
      if (chosen == null) throw missing(a);
      if (chosen.getSize() > limits.maxEntrySize()) {
        throw bomb(
            a,
            "declares "
                + chosen.getName()
                + " as "
                + chosen.getSize()
                + " bytes, more than "
                + limits.maxEntrySize());
      }
      long budget =
          limits.unpackBudget(Math.max(chosen.getCompressedSize(), 0), limits.maxEntrySize());
      InputStream in;
      try {
        in = zf.getInputStream(chosen);
      } catch (IOException e) {
        throw new ReadFailure(e);
      }
      long crc;
      try (InputStream body = in) {
        crc = copy(a, fs, body, temp, budget, chosen.getName(), limits.minFreeSpace());
      }
      // commons-compress's ZipFile does not check an entry's CRC-32 (a flipped byte in a stored
      // or deflated entry reads without an error, tried with 1.28.0): the directory's is checked
      // here, where it is computed anyway for the receipt (APPNOTE.TXT §4.4.7; -1: not declared)
      if (chosen.getCrc() != -1 && chosen.getCrc() != crc) {
        throw new ReadFailure(
            new IOException(
                printable(chosen.getName())
                    + " unpacks to bytes whose CRC-32 is not the one its directory declares"));
      }
      return crc;
    }
  }

  private static void bombOf(Artifact a, String what) {
    throw bomb(a, what);
  }

  /**
   * The entry count from the end-of-central-directory record, read before the directory is parsed
   * (a directory of millions of entries is refused, not loaded). ZIP64 is refused: no release we
   * install needs it (APPNOTE.TXT §4.3.16: 0xFFFF / 0xFFFFFFFF mark ZIP64 values).
   */
  private static long centralDirectoryEntries(
      Artifact a, HostFs fs, Path archive, long maxDirectory) throws IOException {
    try (SeekableByteChannel ch = fs.openChannel(archive)) {
      long size = ch.size();
      int window = (int) Math.min(size, 22 + 65535);
      ByteBuffer buf = ByteBuffer.allocate(window).order(ByteOrder.LITTLE_ENDIAN);
      ch.position(size - window);
      while (buf.hasRemaining() && ch.read(buf) > 0) {
        // fill the window
      }
      for (int p = window - 22; p >= 0; p--) {
        if (buf.getInt(p) == 0x06054b50 && p + 22 + (buf.getShort(p + 20) & 0xffff) == window) {
          long total = buf.getShort(p + 10) & 0xffff;
          long cdSize = buf.getInt(p + 12) & 0xffffffffL;
          long cdOffset = buf.getInt(p + 16) & 0xffffffffL;
          if (total == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) {
            throw bomb(a, "is a ZIP64 archive (more than 65535 entries or 4 GiB)");
          }
          if (cdSize > maxDirectory) {
            throw bomb(
                a, "has a central directory of " + cdSize + " bytes, more than " + maxDirectory);
          }
          // the directory ends where its end record starts: what is parsed is what was bounded
          long eocd = size - window + p;
          if (cdOffset + cdSize != eocd) {
            throw new ReadFailure(
                new IOException(
                    "its central directory ("
                        + cdOffset
                        + "+"
                        + cdSize
                        + ") does not end at its end record ("
                        + eocd
                        + ")"));
          }
          return total;
        }
      }
    } catch (IOException e) {
      throw new ReadFailure(e);
    }
    throw new ReadFailure(new IOException("no end of central directory record: not a zip file"));
  }

  // ---- tar.gz: read through, every byte decompressed is counted --------------------------------

  private static long untar(Artifact a, HostFs fs, Path archive, Path temp, Limits limits)
      throws IOException {
    long budget = limits.unpackBudget(fs.size(archive), limits.maxUnpacked());
    try (InputStream file = new BufferedInputStream(fs.openFile(archive), 1 << 16);
        InputStream gz =
            new Capped(a, gzip(file), budget, "decompresses to more than " + budget + " bytes");
        TarArchiveInputStream tar = new TarArchiveInputStream(gz)) {
      String chosen = null;
      long crc = 0;
      int seen = 0;
      while (true) {
        TarArchiveEntry e;
        try {
          e = tar.getNextEntry();
        } catch (IOException ex) {
          throw new ReadFailure(ex);
        }
        if (e == null) break;
        if (++seen > limits.maxEntries())
          throw bomb(a, "has more than " + limits.maxEntries() + " entries");
        if (e.isDirectory()) continue;
        String base = baseName(e.getName());
        if (!wanted(a, base)) continue;
        String kind = tarKind(e);
        if (kind != null) throw notRegular(a, e.getName(), kind);
        if (chosen != null) throw several(a, chosen, base);
        if (e.getSize() > limits.maxEntrySize()) {
          throw bomb(
              a,
              "declares "
                  + e.getName()
                  + " as "
                  + e.getSize()
                  + " bytes, more than "
                  + limits.maxEntrySize());
        }
        chosen = base;
        crc = copy(a, fs, tar, temp, limits.maxEntrySize(), e.getName(), limits.minFreeSpace());
      }
      if (chosen == null) throw missing(a);
      return crc;
    }
  }

  private static InputStream gzip(InputStream in) throws ReadFailure {
    try {
      return new GzipCompressorInputStream(in);
    } catch (IOException e) {
      throw new ReadFailure(e);
    }
  }

  /** Null for a regular file, else what the entry is. */
  private static String tarKind(TarArchiveEntry e) {
    if (e.isSymbolicLink()) return "a symbolic link to " + printable(e.getLinkName());
    if (e.isLink()) return "a hard link to " + printable(e.getLinkName());
    if (e.isCharacterDevice()) return "a character device";
    if (e.isBlockDevice()) return "a block device";
    if (e.isFIFO()) return "a FIFO";
    byte flag = e.getLinkFlag();
    if (flag == TarConstants.LF_NORMAL
        || flag == TarConstants.LF_OLDNORM
        || flag == TarConstants.LF_CONTIG) {
      return null;
    }
    return "not a regular file (tar type '" + (char) flag + "')";
  }

  // ---- shared ------------------------------------------------------------------------------

  private static String baseName(String name) {
    String n = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    return n.substring(n.lastIndexOf('/') + 1);
  }

  private static boolean wanted(Artifact a, String base) {
    return a.entry().map(base::equals).orElse(!isDocumentation(base));
  }

  private static boolean isDocumentation(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.startsWith("license")
        || n.startsWith("readme")
        || n.endsWith(".txt")
        || n.endsWith(".md")
        || n.startsWith("notice");
  }

  private static String printable(String s) {
    String t = s.length() > 200 ? s.substring(0, 200) + "…" : s;
    return t.replaceAll("[^\\x20-\\x7e]", "?");
  }

  private static ArtifactException notRegular(Artifact a, String entry, String kind) {
    return new ArtifactException(
        a.name()
            + ": in "
            + a.url()
            + ", "
            + printable(entry)
            + " is "
            + kind
            + ", not a regular file; refusing it as the program (nothing was installed)");
  }

  private static ArtifactException several(Artifact a, String first, String second) {
    return new ArtifactException(
        a.name()
            + ": "
            + a.url()
            + " holds several programs ("
            + printable(first)
            + ", "
            + printable(second)
            + "); name the one to install with archive_entry");
  }

  private static ArtifactException missing(Artifact a) {
    return new ArtifactException(
        a.name()
            + ": "
            + a.url()
            + " has no entry "
            + a.entry().orElse("(program)")
            + "; check archive_entry");
  }

  /**
   * Writes the entry to temp with at most max bytes, keeping floor bytes free on temp's file system
   * (the destination's, often not the cache's), and returns its CRC-32 (ProgramDigest: the archive
   * was verified by its sha256 already); read errors are ReadFailures.
   */
  private static long copy(
      Artifact a, HostFs fs, InputStream in, Path temp, long max, String entry, long floor)
      throws IOException {
    CRC32 crc = new CRC32();
    long total = 0;
    DiskRoom room = new DiskRoom(a, fs, temp.getParent(), floor);
    room.before(-1, "program");
    try (OutputStream out =
        new DiskRoom.Guarded(new BufferedOutputStream(fs.newTempFile(temp), IO_BUFFER), room)) {
      byte[] buf = new byte[1 << 17];
      while (true) {
        int n;
        try {
          n = in.read(buf);
        } catch (IOException e) {
          throw e instanceof ReadFailure ? e : new ReadFailure(e);
        }
        if (n < 0) break;
        total += n;
        if (total > max) {
          throw bomb(
              a,
              "unpacks "
                  + printable(entry)
                  + " to more than "
                  + max
                  + " bytes (the limit for its size"
                  + " and compression ratio)");
        }
        crc.update(buf, 0, n);
        out.write(buf, 0, n);
      }
    }
    return crc.getValue();
  }

  /** Counts decompressed bytes and stops at the budget. */
  private static final class Capped extends FilterInputStream {
    private final Artifact a;
    private final long max;
    private final String what;
    private long count;

    Capped(Artifact a, InputStream in, long max, String what) {
      super(in);
      this.a = a;
      this.max = max;
      this.what = what;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n;
      try {
        n = in.read(b, off, len);
      } catch (IOException e) {
        throw new ReadFailure(e);
      }
      if (n > 0) {
        count += n;
        if (count > max) throw bomb(a, what);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] buf = new byte[(int) Math.min(Math.max(n, 0), 1 << 16)];
      int r = read(buf, 0, buf.length);
      return Math.max(r, 0);
    }
  }
}
