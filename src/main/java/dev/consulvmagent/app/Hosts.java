package dev.consulvmagent.app;

import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.host.ProcessExec;
import java.nio.file.Path;

/** The one place real hosts are built (the CLI and the app layer ask here; tests build fakes). */
public final class Hosts {
  private Hosts() {}

  /** The machine under root: "/" and live for the running system, a --root tree otherwise. */
  public static Host forRoot(Path root, boolean live) {
    return Host.of(new HostFs(root, false), new ProcessExec(), live);
  }

  /** The running system itself. */
  public static Host live() {
    return forRoot(Path.of("/"), true);
  }
}
