package dev.consulvmagent.artifact;

import dev.consulvmagent.engine.RunEvent;
import dev.consulvmagent.host.HostFs;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileStore;
import java.nio.file.Path;

/**
 * Free space on the download cache's file system (issue 20: a mirror that sends forever must not
 * fill the disk). Before writing, a download whose declared length would leave less than the floor
 * is refused; while writing, every few MiB, the free space is looked at again, so one without a
 * length (or a lying one) stops at the floor, not at a full disk. The caller deletes the partial
 * file: nothing is kept.
 */
final class DiskRoom {
  private static final long CHECK_EVERY = 8L << 20;
  private final Artifact artifact;
  private final FileStore store;
  private final Path dir;
  private final long floor;
  private long sinceCheck;

  DiskRoom(Artifact artifact, HostFs fs, Path dir, long floor) throws IOException {
    this.artifact = artifact;
    this.store = fs.fileStore(dir);
    this.dir = dir;
    this.floor = floor;
  }

  /** Refuses a download of length bytes (-1: unknown) that would leave less than the floor. */
  void before(long length) throws IOException {
    before(length, "download");
  }

  /** Refuses writing what (length bytes, -1: unknown) if it would leave less than the floor. */
  void before(long length, String what) throws IOException {
    long free = store.getUsableSpace();
    long need = floor + Math.max(length, 0);
    if (need < 0 || free < need) {
      throw new ArtifactException(
          artifact.name()
              + ": "
              + (length >= 0 ? "its " + RunEvent.mib(length) + " " + what : "the " + what)
              + " would leave less than "
              + RunEvent.mib(floor)
              + " free on "
              + dir
              + " ("
              + RunEvent.mib(free)
              + " free now); refusing it, nothing kept: free some space first");
    }
  }

  /** n more bytes are about to be written. */
  void wrote(int n) throws IOException {
    sinceCheck += n;
    if (sinceCheck < CHECK_EVERY) return;
    sinceCheck = 0;
    long free = store.getUsableSpace();
    if (free < floor) {
      throw new ArtifactException(
          artifact.name()
              + ": the free space on "
              + dir
              + " dropped below "
              + RunEvent.mib(floor)
              + " while writing it ("
              + RunEvent.mib(free)
              + " left); stopped, nothing kept: free some space first");
    }
  }

  /** An output stream that asks room before each write. */
  static final class Guarded extends FilterOutputStream {
    private final DiskRoom room;

    Guarded(OutputStream out, DiskRoom room) {
      super(out);
      this.room = room;
    }

    @Override
    public void write(int b) throws IOException {
      room.wrote(1);
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      room.wrote(len);
      out.write(b, off, len);
    }
  }
}
