package dev.consulvmagent.testing;

import dev.consulvmagent.host.Exec;
import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.host.ReadOnlyHost;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * A test double of the machine (not the real one): the file system is a real temp root, every
 * command is recorded and answered by a scripted double (default-deny), and the clock is the
 * system's unless frozen or moved. Not live: nothing is started, no network stack is touched.
 */
public final class RecordingHost implements Host {
  public final List<List<String>> ran = new ArrayList<>();
  private final HostFs fs;
  private final Exec answers;
  private Clock clock = Clock.systemUTC();

  public RecordingHost(Path root, Exec answers) {
    this.fs = new HostFs(root, false);
    this.answers = answers;
  }

  /** A machine root with Roots' users on which no command may run: one that does fails. */
  public static RecordingHost withoutProcesses(Path root) throws IOException {
    Roots.withUsers(root);
    return new RecordingHost(
        root,
        (argv, timeout, stdin) -> {
          throw new AssertionError("no process expected: " + argv);
        });
  }

  @Override
  public HostFs fs() {
    return fs;
  }

  @Override
  public boolean live() {
    return false;
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
    ran.add(List.copyOf(argv));
    return answers.run(argv, timeout, stdin);
  }

  @Override
  public Clock clock() {
    return clock;
  }

  /** A clock that stands still (at, e.g., a fixed instant), for time-dependent verdicts. */
  public void freeze(Instant at) {
    clock = Clock.fixed(at, ZoneOffset.UTC);
  }

  public void advance(Duration d) {
    clock = Clock.offset(clock, d);
  }
}
