package dev.consulvmagent.fleet;

import java.time.Duration;
import java.util.Optional;

/** The group's semaphore: at most max_parallel VMs apply at once. */
public interface Slots {
  /** Takes a slot of at most {@code limit}, waiting up to {@code wait}; empty if none came. */
  Optional<Slot> acquire(int limit, Duration wait);

  /**
   * Stops waiting for a slot: a waiter keeps its place in the queue between {@link #acquire} calls
   * and gives it up here when it no longer wants one (a newer revision, a halt, a pause).
   */
  default void withdraw() {}

  /** A held slot; closing releases it. */
  interface Slot extends AutoCloseable {
    @Override
    void close();
  }
}
