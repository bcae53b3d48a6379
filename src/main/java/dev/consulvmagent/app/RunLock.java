package dev.consulvmagent.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * One run at a time per root (cloud-init and `vagrant provision` can overlap). A second run
 * waits briefly, then gives up with a clear message. The lock lives in /run on a live host and
 * in the temp directory for a --root (so the root itself is not touched by locking).
 */
public final class RunLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private RunLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  public static Path pathFor(RunOptions o) {
    if (o.live()) return Path.of("/run/consul-vm-agent.lock");
    String id = Integer.toHexString(o.root().toAbsolutePath().normalize().toString().hashCode());
    return Path.of(System.getProperty("java.io.tmpdir"), "consul-vm-agent-" + id + ".lock");
  }

  public static RunLock acquire(Path file, Duration wait) {
    try {
      Files.createDirectories(file.getParent());
      FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      long deadline = System.nanoTime() + wait.toNanos();
      while (true) {
        FileLock l;
        try {
          l = ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
          l = null; // held by this very process (another run in the same JVM)
        }
        if (l != null) return new RunLock(ch, l);
        if (System.nanoTime() >= deadline) {
          ch.close();
          throw new LockHeldException("another consul-vm-agent run holds " + file + "; waited " + wait.toSeconds()
              + "s. Try again when it has finished (see: ps -ef | grep consul-vm-agent)");
        }
        Thread.sleep(200);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open lock " + file + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LockHeldException("interrupted while waiting for the lock " + file);
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
