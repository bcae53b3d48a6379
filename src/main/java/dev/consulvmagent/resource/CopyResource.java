package dev.consulvmagent.resource;

import dev.consulvmagent.engine.Observed;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.ResourceKey;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.FileStat;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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

  private static State state(long size, long mtime, int mode) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("size", String.valueOf(size));
    f.put("mtime", String.valueOf(mtime));
    f.put("mode", Ownership.mode(mode));
    return State.of(f);
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
        && String.valueOf(size).equals(p.state().get("size"))
        && String.valueOf(mtime).equals(p.state().get("mtime"))) {
      host.fs().setAttributes(destination, 0644, root[0], root[1]); // only the mode differs
    } else {
      host.fs().installCopy(source, destination, 0644, root[0], root[1], mtime);
    }
  }
}
