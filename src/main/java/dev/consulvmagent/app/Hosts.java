package dev.consulvmagent.app;

import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.host.ProcessExec;
import dev.consulvmagent.spec.SpecException;
import java.nio.file.Path;

/** The one place real hosts are built (the CLI and the app layer ask here; tests build fakes). */
public final class Hosts {
  private Hosts() {}

  /** The machine under root: "/" and live for the running system, a --root tree otherwise. */
  public static Host forRoot(Path root, boolean live) {
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
    if (root.toAbsolutePath().normalize().toString().equals("/")) return;
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

  /** The running system itself. */
  public static Host live() {
    return forRoot(Path.of("/"), true);
  }
}
