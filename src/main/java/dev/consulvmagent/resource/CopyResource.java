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
    // integer tenths, not String.format("%.1f"): formatting a double loads the JDK's locale data
    // (CLDR), about 30 ms of every no-op run that observes this resource (measured, scripts/bench)
    boolean mib = bytes >= 1024L * 1024;
    long unit = mib ? 1024L * 1024 : 1024L;
    long tenths = (bytes * 10 + unit / 2) / unit;
    return tenths / 10 + "." + tenths % 10 + (mib ? " MiB" : " KiB") + " (" + bytes + " bytes)";
  }

  @Override
  public Observed observe(Host host) {
    Optional<FileStat> st = host.fs().stat(destination);
    return st.map(s -> Observed.present(state(s.size(), s.mtimeMillis(), s.mode())))
        .orElseGet(Observed::absent);
  }

  /**
   * The copy (the agent's jar, ~27 MB) is made while the downloads run, in a temp file next to the
   * destination, and only renamed over it in the ordered pass (a run that fails before discards
   * it): the first install's critical path is the downloads, and the copy was made after them.
   */
  @Override
  public boolean hasPreparation() {
    return true;
  }

  /** The staged copy, and the file system it lies in (removed through its handle, by name). */
  private Path staged;

  private HostFs stagedIn;

  @Override
  public void prepare(Host host) {
    if (sameContent(observe(host.readOnly()))) return; // only the mode differs: nothing to copy
    Path s = host.fs().stageCopy(source, destination);
    synchronized (this) {
      staged = s;
      stagedIn = host.fs();
    }
  }

  @Override
  public synchronized void discardPreparation() {
    Path s = staged;
    staged = null;
    if (s != null && stagedIn != null) stagedIn.discardQuietly(s);
  }

  private boolean sameContent(Observed observed) {
    return observed instanceof Observed.Present p
        && state(size, mtime, 0).get("size").equals(p.state().get("size"))
        && state(size, mtime, 0).get("modified").equals(p.state().get("modified"));
  }

  @Override
  public void converge(Host host, Observed observed) {
    int[] root = Ownership.ids(host, "root", "root");
    Path s;
    synchronized (this) {
      s = staged;
      staged = null;
    }
    if (sameContent(observed)) {
      if (s != null) host.fs().discardQuietly(s);
      host.fs().setAttributes(destination, 0644, root[0], root[1]); // only the mode differs
    } else if (s != null) {
      host.fs().installTemp(s, destination, 0644, root[0], root[1], mtime);
    } else {
      host.fs().installCopy(source, destination, 0644, root[0], root[1], mtime);
    }
  }
}
