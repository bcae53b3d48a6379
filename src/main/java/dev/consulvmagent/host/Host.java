package dev.consulvmagent.host;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Everything a resource may touch. {@link #live()} is true when acting on the running system
 * (no --root): only then are services started and the network stack touched. The read-only
 * view used by plan throws on every mutation, commands included, except those listed as
 * read-only queries.
 */
public final class Host {
  /** Commands that only look: allowed during plan. */
  private static final Set<String> QUERIES = Set.of("systemctl is-active", "systemctl is-enabled", "systemctl show",
      "systemctl --version", "iptables-save", "ss", "id");

  private final HostFs fs;
  private final Exec exec;
  private final boolean live;
  private final boolean readOnly;

  public Host(HostFs fs, Exec exec, boolean live, boolean readOnly) {
    this.fs = fs;
    this.exec = exec;
    this.live = live;
    this.readOnly = readOnly;
  }

  public static Host forRoot(Path root, boolean live) {
    return new Host(new HostFs(root, false), new ProcessExec(), live, false);
  }

  public Host readOnly() {
    return new Host(fs.readOnlyView(), exec, live, true);
  }

  public boolean isReadOnly() {
    return readOnly;
  }

  public HostFs fs() {
    return fs;
  }

  public boolean live() {
    return live;
  }

  public Users users() {
    return Users.read(fs);
  }

  public ExecResult run(List<String> argv, Duration timeout) {
    return run(argv, timeout, null);
  }

  public ExecResult run(List<String> argv, Duration timeout, byte[] stdin) {
    if (readOnly && !isQuery(argv)) {
      throw new MutationDuringPlanException("run " + String.join(" ", argv));
    }
    return exec.run(argv, timeout, stdin);
  }

  private static boolean isQuery(List<String> argv) {
    String first = argv.get(0).replaceAll(".*/", "");
    String two = argv.size() > 1 ? first + " " + argv.get(1) : first;
    return QUERIES.contains(first) || QUERIES.contains(two);
  }
}
