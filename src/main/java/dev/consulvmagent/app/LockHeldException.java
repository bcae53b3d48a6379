package dev.consulvmagent.app;

/** Another run holds the lock (exit code 5). */
public final class LockHeldException extends RuntimeException {
  public LockHeldException(String m) {
    super(m);
  }
}
