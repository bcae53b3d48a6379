package dev.consulvmagent.resource;

import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Observed;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.ResourceKey;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.Host;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A file or link the agent created earlier and no longer wants: removed. */
public final class AbsentResource implements Resource {
  private final String path;
  private final List<Notification> notifications;

  public AbsentResource(String path, Notification... notifications) {
    this.path = path;
    this.notifications = List.of(notifications);
  }

  @Override
  public Optional<String> path() {
    return Optional.of(path);
  }

  @Override
  public ResourceKey key() {
    return ResourceKey.of(ResourceKey.Kind.ABSENT, path);
  }

  @Override
  public State desired() {
    return null;
  }

  @Override
  public Observed observe(Host host) {
    return host.fs().stat(path).isPresent()
        ? Observed.present(State.of(Map.of("exists", "yes")))
        : Observed.absent();
  }

  @Override
  public void converge(Host host, Observed observed) {
    host.fs().delete(path);
  }

  @Override
  public List<Notification> notifications(Change change) {
    return notifications;
  }
}
