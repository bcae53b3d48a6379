package dev.consulvmagent.app;

import dev.consulvmagent.consul.ConsulException;
import dev.consulvmagent.consul.ConsulQuery;
import dev.consulvmagent.consul.HealthApi;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.fleet.Converger;
import dev.consulvmagent.fleet.FleetUnavailableException;
import dev.consulvmagent.fleet.HealthTracker.Sample;
import dev.consulvmagent.spec.AgentSpec;
import java.util.List;
import java.util.Set;

/**
 * The watcher's engine: the same plan and apply as the apply command (app.Agent, its lock and its
 * last-run.json), and health from the catalog: every check of the service and its sidecar proxy
 * must pass (the sidecar's own checks include Consul's "Connect Sidecar Listening" on Envoy's
 * public listener). A VM without a service is healthy once applied.
 */
final class FleetConverger implements Converger {
  private final Agent agent;
  private final RunOptions options;
  private final HealthApi health;
  private final String node;

  FleetConverger(Agent agent, RunOptions options, HealthApi health, String node) {
    this.agent = agent;
    this.options = options;
    this.health = health;
    this.node = node;
  }

  @Override
  public boolean hasChanges(AgentSpec spec) {
    return agent.hasChanges(options, spec);
  }

  @Override
  public void apply(AgentSpec spec) {
    RunResult r;
    try {
      r = agent.apply(options, spec);
    } catch (LockHeldException e) {
      // someone runs apply by hand: not a failure of the revision; the watcher tries again later
      throw new FleetUnavailableException(e.getMessage(), e);
    }
    if (r.failed()) throw new IllegalStateException(r.error() == null ? "apply failed" : r.error());
  }

  @Override
  public Sample health(AgentSpec spec) {
    if (spec.service().isEmpty()) return Sample.PASSING;
    String id = spec.service().get().mesh().name();
    String sidecar = id + "-sidecar-proxy";
    Set<String> ids = Set.of(id, sidecar);
    List<HealthApi.Check> checks;
    try {
      checks = health.node(node, ConsulQuery.NONE);
    } catch (ConsulException e) {
      throw new FleetUnavailableException(e.getMessage(), e);
    }
    List<HealthApi.Check> ours = checks.stream().filter(c -> ids.contains(c.serviceId())).toList();
    boolean connect = spec.service().get().mesh().connect();
    // no check of ours yet (not registered): missing; with Connect the sidecar's must be there
    if (ours.isEmpty() || (connect && ours.stream().noneMatch(c -> c.serviceId().equals(sidecar))))
      return Sample.MISSING;
    if (ours.stream().anyMatch(c -> c.status().equals("critical"))) return Sample.CRITICAL;
    if (ours.stream().anyMatch(c -> !c.passing())) return Sample.WARNING;
    return Sample.PASSING;
  }
}
