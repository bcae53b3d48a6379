package dev.consulvmagent.testing;

import dev.consulvmagent.host.Exec;
import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.host.ProcessExec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A network namespace made for one test (ip netns), and a Host whose commands run inside it. */
public final class Netns implements AutoCloseable {
  private static final ProcessExec EXEC = new ProcessExec();
  public final String name;

  public Netns(String name) {
    this.name = name;
    run("ip", "netns", "del", name); // a leftover from an interrupted run
    check("ip", "netns", "add", name);
    check("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
  }

  public static boolean available() {
    return "root".equals(System.getProperty("user.name"))
        && Files.isExecutable(Path.of("/usr/sbin/iptables-restore"))
        && (Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")));
  }

  public static ExecResult run(String... argv) {
    return EXEC.run(List.of(argv), Duration.ofSeconds(30));
  }

  public static ExecResult check(String... argv) {
    return run(argv).check();
  }

  public ExecResult exec(String... argv) {
    List<String> a = new ArrayList<>(List.of("ip", "netns", "exec", name));
    a.addAll(List.of(argv));
    return EXEC.run(a, Duration.ofSeconds(30));
  }

  /** Exec that runs every command inside this namespace. */
  public Exec execInside() {
    return (argv, timeout, stdin) -> {
      List<String> a = new ArrayList<>(List.of("ip", "netns", "exec", name));
      a.addAll(argv);
      return EXEC.run(a, timeout, stdin);
    };
  }

  public Host host(Path root) {
    return Host.of(new HostFs(root, false), execInside(), true);
  }

  public String natRules() {
    return exec("iptables", "-t", "nat", "-S").check().stdout();
  }

  @Override
  public void close() {
    run("ip", "netns", "del", name);
  }
}
