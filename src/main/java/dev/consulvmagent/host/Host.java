package dev.consulvmagent.host;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The one way to the machine: its file system under a root, its processes, its accounts and its
 * clock. {@link #live()} is true when acting on the running system (no --root): only then are
 * services started and the network stack touched. {@link #readOnly()} is the view plan gets: it
 * throws {@link MutationDuringPlanException} on every change, commands included, except those
 * listed as read-only queries. The real host is built in one place (app.Hosts); tests use a
 * recording fake (testing.RecordingHost).
 */
public interface Host {
  HostFs fs();

  boolean live();

  /** This host, or a view of it, that refuses every change. */
  Host readOnly();

  /** Whether this is the refusing view (for messages and tests; resources never branch on it). */
  boolean isReadOnly();

  /** Name ↔ id lookups from the root's /etc/passwd and /etc/group (not the JVM host's NSS). */
  default Users users() {
    return Users.read(fs());
  }

  ExecResult run(List<String> argv, Duration timeout, byte[] stdin);

  default ExecResult run(List<String> argv, Duration timeout) {
    return run(argv, timeout, null);
  }

  Clock clock();

  /** A host of real file system and processes under root (use app.Hosts outside tests). */
  static Host of(HostFs fs, Exec exec, boolean live) {
    return new RealHost(fs, exec, live, Clock.systemUTC());
  }

  /**
   * The real machine under root.
   *
   * @deprecated build hosts in the app layer's factory (app.Hosts.forRoot); kept so branches
   *     written against the old class still compile (ArchitectureTest flags the callers)
   */
  @Deprecated
  static Host forRoot(Path root, boolean live) {
    return of(new HostFs(root, false), new ProcessExec(), live);
  }
}
