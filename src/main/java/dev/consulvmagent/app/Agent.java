package dev.consulvmagent.app;

import dev.consulvmagent.artifact.Artifact;
import dev.consulvmagent.artifact.Artifacts;
import dev.consulvmagent.artifact.Installer;
import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Planned;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.module.Catalog;
import dev.consulvmagent.resource.BinaryResource;
import dev.consulvmagent.module.Context;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecException;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.spec.UserData;
import dev.consulvmagent.systemd.SystemdNotifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * The facade the CLI calls. validate touches nothing; plan and apply share one code path up to
 * the converge step. The only place real adapters are built.
 */
public final class Agent {
  private final EventSink events;

  public Agent(EventSink events) {
    this.events = events;
  }

  public AgentSpec load(RunOptions o) {
    if (o.userData().isPresent()) {
      Path ud = o.userData().get();
      byte[] raw;
      try {
        if (Files.size(ud) > 16L * 1024 * 1024) throw new SpecException("user-data", ud + " is larger than 16 MiB");
        raw = Files.readAllBytes(ud);
      } catch (NoSuchFileException e) {
        throw new SpecException("user-data", "file " + ud + " does not exist");
      } catch (IOException e) {
        throw new SpecException("user-data", "cannot read " + ud + ": " + e.getMessage());
      }
      String path = o.config().map(Path::toString).orElse(RunOptions.DEFAULT_CONFIG);
      return new SpecLoader().parse(UserData.extract(raw, path));
    }
    Path cfg = o.config().orElse(Path.of(RunOptions.DEFAULT_CONFIG));
    return new SpecLoader().load(cfg);
  }

  /** Everything up to the point of change: load, build the catalog, observe, diff. */
  public Prepared prepare(RunOptions o) {
    return prepare(o, load(o));
  }

  private Prepared prepare(RunOptions o, AgentSpec spec) {
    return prepare(o, spec, false);
  }

  private Prepared prepare(RunOptions o, AgentSpec spec, boolean prefetch) {
    Host host = Host.forRoot(o.root(), o.live());
    Installer installer = Installer.lazy(events);
    List<Artifact> artifacts = Artifacts.of(spec, o.mirror());
    List<String> absentBeforePrefetch = new java.util.ArrayList<>();
    if (prefetch) {
      // apply: start the downloads the plan will want now, so they overlap planning
      for (Artifact a : artifacts) {
        BinaryResource r = new BinaryResource(a, installer);
        if (Change.between(r.key(), r.desired(), r.observe(host.readOnly())).actionable()) {
          List<String> watch = new java.util.ArrayList<>(r.sideEffectPaths());
          watch.addAll(Engine.selfAndAncestors(a.destination()));
          for (String w : watch) if (!host.fs().exists(w)) absentBeforePrefetch.add(w);
          installer.prefetch(a, host.fs(), BinaryResource.CACHE_DIR);
        }
      }
    }
    Context ctx = new Context(artifacts, installer, o.agentJar(), host.readOnly());
    List<Resource> resources = Catalog.resources(spec, ctx);
    Engine engine = new Engine(events);
    return new Prepared(spec, host, engine, engine.plan(resources, host), absentBeforePrefetch);
  }

  /** absentBeforePrefetch: paths prefetching may create that did not exist (ownership ledger). */
  public record Prepared(AgentSpec spec, Host host, Engine engine, List<Planned> plan, List<String> absentBeforePrefetch) {}

  public RunResult plan(RunOptions o) {
    Instant start = Instant.now();
    Prepared p = prepare(o);
    return p.engine().planResult(p.plan(), start);
  }

  public RunResult apply(RunOptions o) {
    Instant start = Instant.now();
    // validate before locking or touching anything: an invalid config changes nothing
    AgentSpec spec = load(o);
    try (RunLock lock = RunLock.acquire(RunLock.pathFor(o), o.lockWait())) {
      Prepared p = prepare(o, spec, true);
      // consul.service is Type=exec: wait for its HTTP API where a step needs it, never for READY
      var notifier = ConsulReadyNotifier.live(new SystemdNotifier(p.host()), p.host().live(),
          dev.consulvmagent.render.ConsulConfig.httpAddr(spec.consul()), events);
      RunResult r = p.engine().apply(p.plan(), p.host(), notifier, start);
      List<String> created = new java.util.ArrayList<>(r.created());
      for (String w : p.absentBeforePrefetch()) if (p.host().fs().exists(w)) created.add(w);
      OwnershipLedger.update(p.host().fs(), created, r.removed());
      ResultFile.write(p.host().fs(), r, r.failed() ? 1 : 0);
      return r;
    }
  }
}
