package dev.consulvmagent.app;

import dev.consulvmagent.fleet.LocalState;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import java.io.IOException;
import java.util.Optional;

/**
 * The watcher's memory on this VM: /var/lib/consul-vm-agent/fleet.json (0600 root), written
 * atomically. An unreadable file is reported and treated as none (the watcher then re-applies the
 * group's revision, which the engine makes idempotent).
 */
final class FleetState implements LocalState.Store {
  static final String PATH = "/var/lib/consul-vm-agent/fleet.json";
  private final HostFs fs;

  FleetState(HostFs fs) {
    this.fs = fs;
  }

  @Override
  public Optional<LocalState> load() {
    Optional<byte[]> b = fs.readIfExists(PATH);
    if (b.isEmpty()) return Optional.empty();
    try {
      return Optional.of(LocalState.fromJson(b.get()));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  @Override
  public void save(LocalState s) {
    fs.writeAtomic(PATH, s.toJson(), 0600, -1, -1); // root's own file; no chown needed
  }

  private static Optional<LocalState> read(Host host) {
    return new FleetState(host.fs().readOnlyView()).load();
  }

  /** The overlay the watcher applied last (empty: none, the VM runs its own config). */
  static Optional<String> appliedOverlay(Host host) {
    return read(host).map(LocalState::appliedOverlay).filter(s -> !s.isBlank());
  }

  static long appliedRevision(Host host) {
    return read(host).map(LocalState::appliedRevision).orElse(0L);
  }
}
