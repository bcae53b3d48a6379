package dev.consulvmagent.host;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The view plan gets of any host: its file system refuses every mutation, and only commands that
 * merely look may run. Resources never check for it themselves: a change simply throws.
 */
public final class ReadOnlyHost implements Host {
  /** Commands that only look: allowed during plan. */
  private static final Set<String> QUERIES =
      Set.of(
          "systemctl is-active",
          "systemctl is-enabled",
          "systemctl show",
          "systemctl --version",
          "iptables-save",
          "ss",
          "id");

  private final Host of;
  private final HostFs fs;

  public ReadOnlyHost(Host of) {
    this.of = of;
    this.fs = of.fs().readOnlyView();
  }

  @Override
  public HostFs fs() {
    return fs;
  }

  private volatile Users users;

  /** Read once per view (one plan pass): the accounts do not change while nothing may. */
  @Override
  public Users users() {
    Users u = users;
    if (u == null) users = u = Users.read(fs);
    return u;
  }

  @Override
  public boolean live() {
    return of.live();
  }

  @Override
  public Host readOnly() {
    return this;
  }

  @Override
  public boolean isReadOnly() {
    return true;
  }

  @Override
  public ExecResult run(List<String> argv, Duration timeout, byte[] stdin) {
    if (!isQuery(argv)) throw new MutationDuringPlanException("run " + String.join(" ", argv));
    return of.run(argv, timeout, stdin);
  }

  static boolean isQuery(List<String> argv) {
    String first = argv.get(0).replaceAll(".*/", "");
    String two = argv.size() > 1 ? first + " " + argv.get(1) : first;
    return QUERIES.contains(first) || QUERIES.contains(two);
  }

  @Override
  public Clock clock() {
    return of.clock();
  }
}
