package dev.consulvmagent.fleet;

import java.time.Duration;
import java.util.Optional;

/** The group's semaphore: at most max_parallel VMs apply at once. */
public interface Slots {
  /** Takes a slot of at most {@code limit}, waiting up to {@code wait}; empty if none came. */
  Optional<Slot> acquire(int limit, Duration wait);

  /** A held slot; closing releases it. */
  interface Slot extends AutoCloseable {
    @Override
    void close();
  }
}
