package dev.consulvmagent.resource;

import dev.consulvmagent.engine.Observed;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.ResourceKey;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.FileStat;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.Users;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** A directory with mode and owner (parents are created 0755 root as needed). */
public final class DirectoryResource implements Resource {
  private final String path;
  private final int mode;
  private final String owner;
  private final String group;

  public DirectoryResource(String path, int mode, String owner, String group) {
    this.path = path;
    this.mode = mode;
    this.owner = owner;
    this.group = group;
  }

  @Override
  public Optional<String> path() {
    return Optional.of(path);
  }

  @Override
  public ResourceKey key() {
    return ResourceKey.of(ResourceKey.Kind.DIRECTORY, path);
  }

  @Override
  public State desired() {
    return state("directory", mode, owner + ":" + group);
  }

  private static State state(String type, int mode, String owner) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("type", type);
    f.put("mode", Ownership.mode(mode));
    f.put("owner", owner);
    return State.of(f);
  }

  @Override
  public Observed observe(Host host) {
    Optional<FileStat> st = host.fs().stat(path);
    if (st.isEmpty()) return Observed.absent();
    Users u = host.users();
    FileStat s = st.get();
    return Observed.present(
        state(
            s.type().name().toLowerCase(),
            s.mode(),
            Ownership.owner(u, s.uid(), s.gid(), owner, group)));
  }

  @Override
  public void converge(Host host, Observed observed) {
    if (observed instanceof Observed.Present p && !"directory".equals(p.state().get("type"))) {
      throw new IllegalStateException(
          path + " exists and is a " + p.state().get("type") + ", not a directory; move it away");
    }
    int[] ids = Ownership.ids(host, owner, group);
    host.fs().mkdir(path, mode, ids[0], ids[1]);
  }
}
