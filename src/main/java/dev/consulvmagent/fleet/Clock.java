package dev.consulvmagent.fleet;

import java.time.Duration;
import java.time.Instant;

/** Time for the watcher: the system's, or a fake one in tests (sleep then only moves it on). */
public interface Clock {
  Instant now();

  void sleep(Duration d) throws InterruptedException;

  Clock SYSTEM =
      new Clock() {
        @Override
        public Instant now() {
          return Instant.now();
        }

        @Override
        public void sleep(Duration d) throws InterruptedException {
          if (!d.isNegative() && !d.isZero()) Thread.sleep(d.toMillis());
        }
      };
}
