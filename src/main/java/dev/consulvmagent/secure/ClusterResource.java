package dev.consulvmagent.secure;

import dev.consulvmagent.consul.ConsulException;
import dev.consulvmagent.consul.ConsulPermissionDeniedException;
import dev.consulvmagent.consul.ConsulUnavailableException;
import dev.consulvmagent.engine.Observed;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.ResourceKey;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.MutationDuringPlanException;
import java.util.Optional;

/**
 * A Consul cluster object kept like a file: observe reads it through the typed API (GETs only, so
 * plan never changes the cluster), converge writes it. While Consul cannot answer (not started yet
 * in this run, no leader yet) the object is {@link Observed.Unknown}, as Chef's why-run assumes.
 */
abstract class ClusterResource implements Resource {
  private final ResourceKey key;

  ClusterResource(String name) {
    this.key = ResourceKey.of(ResourceKey.Kind.CONSUL, name);
  }

  @Override
  public final ResourceKey key() {
    return key;
  }

  /** The object as the cluster has it, in the same fields as {@link #desired()}; empty: absent. */
  abstract Optional<State> read(Host host);

  /** Makes the cluster hold {@link #desired()}; current: what {@link #read} saw. */
  abstract void write(Host host, Optional<State> current);

  @Override
  public final Observed observe(Host host) {
    try {
      return read(host).map(Observed::present).orElseGet(Observed::absent);
    } catch (ConsulUnavailableException e) {
      return new Observed.Unknown(
          "Consul cannot answer yet (" + e.getMessage() + "); it is started earlier in this run");
    } catch (ConsulPermissionDeniedException e) {
      return new Observed.Unknown(e.getMessage());
    } catch (ConsulException e) {
      return new Observed.Unknown(e.getMessage());
    }
  }

  @Override
  public final void converge(Host host, Observed observed) {
    // the cluster is outside the host's read-only view: refused here as ReadOnlyHost refuses
    if (host.isReadOnly())
      throw new MutationDuringPlanException("write " + key + " to the Consul cluster");
    // observed may be Unknown (Consul came up after plan): read again, now it must answer
    Optional<State> now = read(host);
    write(host, now);
  }
}
