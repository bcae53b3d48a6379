package dev.consulvmagent.resource;

import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Observed;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.ResourceKey;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.FileStat;
import dev.consulvmagent.host.Host;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A symbolic link, e.g. a unit's enablement in multi-user.target.wants — exactly what {@code
 * systemctl --root=DIR enable} creates.
 */
public final class SymlinkResource implements Resource {
  private final String link;
  private final String target;
  private final List<Notification> notifications;

  public SymlinkResource(String link, String target, Notification... notifications) {
    this.link = link;
    this.target = target;
    this.notifications = List.of(notifications);
  }

  /** Enables unit (file in /etc/systemd/system) for multi-user.target. */
  public static SymlinkResource enable(String unit, String unitFile, Notification... n) {
    return new SymlinkResource(
        "/etc/systemd/system/multi-user.target.wants/" + unit,
        "/etc/systemd/system/" + unitFile,
        n);
  }

  @Override
  public Optional<String> path() {
    return Optional.of(link);
  }

  @Override
  public ResourceKey key() {
    return ResourceKey.of(ResourceKey.Kind.LINK, link);
  }

  @Override
  public State desired() {
    return State.of(Map.of("target", target));
  }

  @Override
  public Observed observe(Host host) {
    Optional<FileStat> st = host.fs().stat(link);
    if (st.isEmpty()) return Observed.absent();
    if (st.get().type() != FileStat.Type.SYMLINK)
      return Observed.present(State.of(Map.of("target", "(not a link)")));
    return Observed.present(State.of(Map.of("target", host.fs().readLink(link).orElse(""))));
  }

  @Override
  public void converge(Host host, Observed observed) {
    host.fs().symlink(link, target);
  }

  @Override
  public List<Notification> notifications(Change change) {
    return notifications;
  }
}
