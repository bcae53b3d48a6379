package dev.consulvmagent.app;

import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One run at a time per root (cloud-init and `vagrant provision` can overlap). A second run waits
 * briefly, then gives up with a clear message. The lock lives in /run on a live host and in the
 * root's own state directory for a --root: keyed on the root's real path (R and a link to R share
 * it), never in a shared temp directory where anyone could plant a link or leave one file per root,
 * and opened with O_NOFOLLOW through {@link HostFs} (no link on the way either).
 */
public final class RunLock implements AutoCloseable {
  static final String LIVE_LOCK = "/run/consul-vm-agent.lock";
  static final String ROOT_LOCK = "/var/lib/consul-vm-agent/run.lock";
  private final FileChannel channel;
  private final FileLock lock;

  private RunLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** The lock file of a run (its real path). */
  public static Path pathFor(RunOptions o) {
    return o.live()
        ? Path.of(LIVE_LOCK)
        : new HostFs(o.root(), true).root().resolve(ROOT_LOCK.substring(1));
  }

  /**
   * Takes the lock of o's root, waiting up to wait. In a --root, the directories the lock file
   * needs are recorded as ours (uninstall removes them) as soon as the lock is held.
   */
  public static RunLock acquire(RunOptions o, Duration wait) {
    if (o.live()) return acquire(new HostFs(Path.of("/"), false), LIVE_LOCK, wait, false);
    return acquire(new HostFs(o.root(), false), ROOT_LOCK, wait, true);
  }

  /** Takes the lock of host's root (its file system's), waiting up to wait; as above. */
  public static RunLock acquire(Host host, Duration wait) {
    return host.live()
        ? acquire(host.fs(), LIVE_LOCK, wait, false)
        : acquire(host.fs(), ROOT_LOCK, wait, true);
  }

  private static RunLock acquire(HostFs fs, String path, Duration wait, boolean record) {
    long asked = System.currentTimeMillis() - 50; // file times tick coarser than the clock
    if (record) {
      // the state directory (and its parents, in a bare root) appears together with a ledger
      // naming them: no kill can leave them created but unrecorded
      String dir = path.substring(0, path.lastIndexOf('/'));
      List<String> absent =
          Engine.selfAndAncestors(dir).stream().filter(p -> !fs.exists(p)).toList();
      if (!absent.isEmpty()) {
        fs.createDirsWithFile(
            dir,
            OwnershipLedger.PATH.substring(dir.length() + 1),
            OwnershipLedger.render(absent),
            0600);
      }
    }
    FileChannel ch = fs.openLockFile(path);
    Path file = fs.resolve(path);
    try {
      long deadline = System.nanoTime() + wait.toNanos();
      while (true) {
        FileLock l;
        try {
          l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
          l = null; // held by this very process (another run in the same JVM)
        }
        if (l != null) {
          // what a run killed while creating the state directory left next to it
          if (record)
            for (String p : Engine.selfAndAncestors(path)) fs.removeStaleTempTrees(p, asked);
          return new RunLock(ch, l);
        }
        if (System.nanoTime() >= deadline) {
          ch.close();
          throw new LockHeldException(
              "another consul-vm-agent run holds "
                  + file
                  + "; waited "
                  + wait.toSeconds()
                  + "s. Try again when it has finished (see: ps -ef | grep consul-vm-agent)");
        }
        Thread.sleep(100);
      }
    } catch (IOException e) {
      closeQuietly(ch);
      throw new UncheckedIOException("cannot lock " + file + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      closeQuietly(ch);
      Thread.currentThread().interrupt();
      throw new LockHeldException("interrupted while waiting for the lock " + file);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing more to release
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException ignored) {
      // closing the channel releases the lock anyway
    }
  }
}
