package dev.consulvmagent.host;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

/** The machine itself: a {@link HostFs} under the root, real processes, the system clock. */
final class RealHost implements Host {
  private final HostFs fs;
  private final Exec exec;
  private final boolean live;
  private final Clock clock;

  RealHost(HostFs fs, Exec exec, boolean live, Clock clock) {
    this.fs = fs;
    this.exec = exec;
    this.live = live;
    this.clock = clock;
  }

  @Override
  public HostFs fs() {
    return fs;
  }

  @Override
  public boolean live() {
    return live;
  }

  @Override
  public Host readOnly() {
    return new ReadOnlyHost(this);
  }

  @Override
  public boolean isReadOnly() {
    return false;
  }

  @Override
  public ExecResult run(List<String> argv, Duration timeout, byte[] stdin) {
    return exec.run(argv, timeout, stdin);
  }

  @Override
  public Clock clock() {
    return clock;
  }
}
