package dev.consulvmagent.resource;

import dev.consulvmagent.engine.Observed;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.ResourceKey;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.FileStat;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A copy of a local file (the agent's own jar) kept identical by size and mtime, which the copy
 * carries over: cheap to check on every run.
 */
public final class CopyResource implements Resource {
  private final Path source;
  private final String destination;
  private final long size;
  private final long mtime;

  public CopyResource(Path source, String destination) {
    this.source = source;
    this.destination = destination;
    FileStat st = HostFs.statLocal(source);
    this.size = st.size();
    this.mtime = st.mtimeMillis();
  }

  @Override
  public Optional<String> path() {
    return Optional.of(destination);
  }

  @Override
  public ResourceKey key() {
    return ResourceKey.of(ResourceKey.Kind.COPY, destination);
  }

  @Override
  public State desired() {
    return state(size, mtime, 0644);
  }

  /**
   * Fields a person reads in a plan ("set modified to 2026-12-07T03:10:00.123Z (was …)", "size 41.2
   * MiB (43198464 bytes)"), not raw milliseconds; exact, so they still compare exactly.
   */
  private static State state(long size, long mtime, int mode) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("size", size(size));
    f.put("modified", Instant.ofEpochMilli(mtime).toString());
    f.put("mode", Ownership.mode(mode));
    return State.of(f);
  }

  static String size(long bytes) {
    if (bytes < 1024) return bytes + " bytes";
    double mib = bytes / (1024.0 * 1024.0);
    String approx =
        mib >= 1
            ? String.format(Locale.ROOT, "%.1f MiB", mib)
            : String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    return approx + " (" + bytes + " bytes)";
  }

  @Override
  public Observed observe(Host host) {
    Optional<FileStat> st = host.fs().stat(destination);
    return st.map(s -> Observed.present(state(s.size(), s.mtimeMillis(), s.mode())))
        .orElseGet(Observed::absent);
  }

  @Override
  public void converge(Host host, Observed observed) {
    int[] root = Ownership.ids(host, "root", "root");
    if (observed instanceof Observed.Present p
        && state(size, mtime, 0).get("size").equals(p.state().get("size"))
        && state(size, mtime, 0).get("modified").equals(p.state().get("modified"))) {
      host.fs().setAttributes(destination, 0644, root[0], root[1]); // only the mode differs
    } else {
      host.fs().installCopy(source, destination, 0644, root[0], root[1], mtime);
    }
  }
}
