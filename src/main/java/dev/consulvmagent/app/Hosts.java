package dev.consulvmagent.app;

import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.host.ProcessExec;
import java.nio.file.Path;

/**
 * The one place real hosts are built. Only the entry points (the CLI commands) call it and pass the
 * host into the app facades' constructors; tests pass fakes (ArchitectureTest).
 */
public final class Hosts {
  private Hosts() {}

  /**
   * Whether root is the running system ("/", however spelled): the one test of "is this the live
   * system?". Only then are services started and the network stack touched.
   */
  public static boolean isLive(Path root) {
    return root.toAbsolutePath().normalize().equals(Path.of("/"));
  }

  /** The machine under root: "/" is the running system (live), anything else a --root tree. */
  public static Host forRoot(Path root) {
    return Host.of(new HostFs(root, false), new ProcessExec(), isLive(root));
  }

  /** The running system itself. */
  public static Host live() {
    return forRoot(Path.of("/"));
  }
}
