package dev.consulvmagent.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The filesystem under a root ("/" on a live host, the --root directory otherwise). Every path
 * argument is an absolute path as seen from inside the root. Writes are atomic: a temp file in the
 * same directory, fsync, chmod/chown, rename. A read-only instance (plan) throws on any mutation.
 *
 * <p>No change follows a symbolic link in a managed path: every component but the last must be a
 * real directory (else {@link UnsafePathException}), and the last is never followed either (writes
 * rename over it, chown/chmod act on it with NOFOLLOW, reads refuse it). Looking (stat, read, list)
 * follows links among the parents only inside the root, as a chroot would. So a link planted in the
 * tree (R/etc, R/usr/bin, a *.wants directory, the state or cache directory) can neither lead a
 * write outside the root nor, on a live host, redirect it to another file. The root itself is taken
 * by its real path (a link to R is R).
 *
 * <p>This class is the one entry point (Host.fs()); the work is split by concern, each small enough
 * to review alone: {@link RootPath} and {@link DirHandle} (link-safe resolution, on directory
 * handles), {@link FileReads}, {@link ManagedWrites}, {@link TempFiles} (staging and sweeps),
 * {@link LockFiles} and {@link Digests}.
 */
public final class HostFs {
  private final RootPath r;
  private final FileReads reads;
  private final ManagedWrites writes;
  private final TempFiles temps;
  private final LockFiles locks;

  public HostFs(Path root, boolean readOnly) {
    this(new RootPath(RootPath.realRoot(root), readOnly));
  }

  private HostFs(RootPath r) {
    this.r = r;
    this.reads = new FileReads(r);
    this.writes = new ManagedWrites(r);
    this.temps = new TempFiles(r);
    this.locks = new LockFiles(r);
  }

  /** The same root seen by a plan: every change throws {@link MutationDuringPlanException}. */
  public HostFs readOnlyView() {
    return new HostFs(new RootPath(r.root(), true));
  }

  public Path root() {
    return r.root();
  }

  /** The most {@link #readIfExists} reads of one file: more is refused, never read whole. */
  public static final int MAX_READ = FileReads.MAX_READ;

  // ---- resolution (RootPath, DirHandle) ----
  public static boolean isSlash(Path root) {
    return RootPath.isSlash(root);
  }

  public Path resolve(String absPath) {
    return r.resolve(absPath);
  }

  /** A read of path, for InputLog when a run is recorded (where the read itself looks). */
  private void noteRead(String path, InputLog.Kind kind) {
    if (!InputLog.recording() || path == null) return;
    try {
      InputLog.note(r.root(), r.lexical(path), r.chase(path), kind);
    } catch (RuntimeException e) {
      InputLog.unresolved(path);
    }
  }

  // ---- looking (FileReads): regular files only, links among parents inside the root only ----
  public Optional<FileStat> stat(String path) {
    noteRead(path, InputLog.Kind.ENTRY);
    return reads.stat(path);
  }

  public boolean exists(String path) {
    noteRead(path, InputLog.Kind.ENTRY);
    return reads.exists(path);
  }

  public byte[] read(String path) {
    noteRead(path, InputLog.Kind.ENTRY);
    return reads.read(path);
  }

  public Optional<byte[]> readIfExists(String path) {
    noteRead(path, InputLog.Kind.ENTRY);
    return reads.readIfExists(path);
  }

  public byte[] readHead(String path, int max) {
    noteRead(path, InputLog.Kind.ENTRY);
    return reads.readHead(path, max);
  }

  public String sha256(String path) {
    noteRead(path, InputLog.Kind.ENTRY);
    return reads.sha256(path);
  }

  /** The CRC-32 of a regular file at path (8 hex digits), read as {@link #sha256(String)} is. */
  public String crc32(String path) {
    noteRead(path, InputLog.Kind.ENTRY);
    return reads.crc32(path);
  }

  public Optional<String> readLink(String path) {
    noteRead(path, InputLog.Kind.ENTRY);
    return reads.readLink(path);
  }

  public List<String> list(String dir) {
    noteRead(dir, InputLog.Kind.LISTING);
    return reads.list(dir);
  }

  public boolean isRegularFile(Path p) {
    InputLog.note(p, InputLog.Kind.ENTRY);
    return reads.isRegularFile(p);
  }

  public long size(Path p) throws IOException {
    InputLog.note(p, InputLog.Kind.ENTRY);
    return reads.size(p);
  }

  public InputStream openFile(Path p) throws IOException {
    InputLog.note(p, InputLog.Kind.ENTRY);
    return reads.openFile(p);
  }

  public FileChannel openChannel(Path p) throws IOException {
    InputLog.note(p, InputLog.Kind.ENTRY);
    return reads.openChannel(p);
  }

  public FileStore fileStore(Path p) throws IOException {
    return reads.fileStore(p);
  }

  public static FileStat statLocal(Path p) {
    InputLog.note(p, InputLog.Kind.FOLLOWED);
    return FileReads.statLocal(p);
  }

  // ---- digests (Digests) ----
  public static MessageDigest sha256Digest() {
    return Digests.sha256Digest();
  }

  public static String sha256(byte[] content) {
    return Digests.sha256(content);
  }

  public static String crc32Hex(long value) {
    return Digests.crc32Hex(value);
  }

  // ---- changes (ManagedWrites), each relative to a directory handle ----
  public void createParents(Path p) {
    writes.createParents(p);
  }

  /**
   * Replaces a report atomically for readers, without the fsync, owned by whoever runs the agent:
   * last-run.json after a no-op's fast path (a crash may lose this one, and the one before said the
   * same but for its times) and the no-op's stamp (a cache: losing it costs one full run).
   */
  public void replaceReport(String path, byte[] content, int mode) {
    writes.writeAtomic(path, content, mode, -1, -1, false);
  }

  public void writeAtomic(String path, byte[] content, int mode, int uid, int gid) {
    writes.writeAtomic(path, content, mode, uid, gid);
  }

  public void installTemp(Path tmp, String path, int mode, int uid, int gid) {
    writes.installTemp(tmp, path, mode, uid, gid);
  }

  /** installTemp, giving the file mtimeMillis just before the rename. */
  public void installTemp(Path tmp, String path, int mode, int uid, int gid, long mtimeMillis) {
    writes.installTemp(tmp, path, mode, uid, gid, mtimeMillis);
  }

  public void installCopy(Path source, String path, int mode, int uid, int gid, long mtimeMillis) {
    writes.installCopy(source, path, mode, uid, gid, mtimeMillis);
  }

  /**
   * installCopy's copy, staged in a temp file next to path (with an mtime of now) for {@link
   * #installTemp(Path, String, int, int, int, long)} later.
   */
  public Path stageCopy(Path source, String path) {
    return writes.stageCopy(source, path);
  }

  public void mkdir(String path, int mode, int uid, int gid) {
    writes.mkdir(path, mode, uid, gid);
  }

  public void setAttributes(String path, int mode, int uid, int gid) {
    writes.setAttributes(path, mode, uid, gid);
  }

  public void symlink(String link, String target) {
    writes.symlink(link, target);
  }

  public void delete(String path) {
    writes.delete(path);
  }

  public void deleteTree(String path) {
    writes.deleteTree(path);
  }

  // ---- temp staging and sweeps (TempFiles) ----
  public OutputStream newTempFile(Path tmp) throws IOException {
    return temps.newTempFile(tmp);
  }

  public void deleteFile(Path p) throws IOException {
    temps.deleteFile(p);
  }

  public void discardQuietly(Path p) {
    temps.discardQuietly(p);
  }

  public void moveTemp(Path tmp, Path target) throws IOException {
    temps.moveTemp(tmp, target);
  }

  public void copyToTemp(Path source, Path tmp) throws IOException {
    temps.copyToTemp(source, tmp);
  }

  public Path tempSibling(Path target) {
    return temps.tempSibling(target);
  }

  public int removeStaleTemps(String dir, Set<String> names, long runStartMillis) {
    noteRead(dir, InputLog.Kind.LISTING);
    return temps.removeStaleTemps(dir, names, runStartMillis);
  }

  public boolean createDirsWithFile(String dir, String name, byte[] content, int mode) {
    return temps.createDirsWithFile(dir, name, content, mode);
  }

  public void removeStaleTempTrees(String path, long olderThanMillis) {
    noteRead(path, InputLog.Kind.LISTING);
    temps.removeStaleTempTrees(path, olderThanMillis);
  }

  // ---- the run lock's file (LockFiles) ----
  public FileChannel openLockFile(String path) {
    return locks.openLockFile(path);
  }

  static Set<PosixFilePermission> perms(int mode) {
    Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_READ
    };
    for (int i = 0; i < 9; i++) if ((mode & (1 << i)) != 0) s.add(all[i]);
    return s;
  }
}
