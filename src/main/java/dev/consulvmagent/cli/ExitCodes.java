package dev.consulvmagent.cli;

/** The exit-code contract, listed in --help and the README. */
public final class ExitCodes {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;
  public static final int INVALID_CONFIG = 3;
  public static final int INTERNAL = 4;
  public static final int LOCKED = 5;
  public static final int CONFLICT = 6;
  public static final int CHANGES_PENDING = 10;

  private ExitCodes() {}
}
