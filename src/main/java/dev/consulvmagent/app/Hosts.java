package dev.consulvmagent.app;

import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.host.ProcessExec;
import dev.consulvmagent.spec.SpecException;
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

  /**
   * The machine under root: "/" is the running system (live), anything else a --root tree, which
   * must not be "/" under another name ({@link #checkRoot}).
   */
  public static Host forRoot(Path root) {
    boolean live = isLive(root);
    if (!live) checkRoot(root);
    return Host.of(new HostFs(root, false), new ProcessExec(), live);
  }

  /**
   * Refuses a --root that is this machine's "/" under another name: a symbolic link to "/" (or to a
   * path that leads there), or a bind mount of it. Taken as a tree, it would have the agent write
   * the running system's /etc and /usr/bin while believing it is baking an image (no service
   * started, no ownership of the live system's paths checked). "--root /" is the way to act on the
   * running system; the refusal says so.
   */
  public static void checkRoot(Path root) {
    if (isLive(root)) return;
    if (HostFs.isSlash(root)) {
      throw new SpecException(
          "--root",
          0,
          root
              + " is this machine's / under another name (a symbolic link or a bind mount):"
              + " refusing to treat the running system as an image tree; give --root / to act"
              + " on this machine, or a directory of its own");
    }
  }

  /**
   * The machine a run acts on: as {@link #forRoot}, but not live for a bake (apply --bake never
   * starts anything, even under "/").
   */
  public static Host forRun(RunOptions o) {
    Path root = o.root();
    if (!isLive(root)) checkRoot(root);
    return Host.of(new HostFs(root, false), new ProcessExec(), o.live());
  }

  /** The running system itself. */
  public static Host live() {
    return forRoot(Path.of("/"));
  }
}
