package dev.consulvmagent.app;

import dev.consulvmagent.artifact.Artifacts;
import dev.consulvmagent.artifact.Installer;
import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.engine.ApplyPlan;
import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Planned;
import dev.consulvmagent.engine.Preparations;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.module.Catalog;
import dev.consulvmagent.module.CatalogMode;
import dev.consulvmagent.module.Context;
import dev.consulvmagent.render.ConsulConfig;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.ConfigOverlay;
import dev.consulvmagent.spec.InstanceData;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.spec.SpecException;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.spec.UserData;
import dev.consulvmagent.spec.Validators;
import dev.consulvmagent.systemd.SystemdNotifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The facade the CLI calls for validate, plan and apply. validate touches nothing; plan and apply
 * share one code path up to the converge step. The adapters are wired here; the host and the Consul
 * flags come in through the constructor.
 */
public final class Agent {
  private final Host host;
  private final ConsulAccess consul;
  private final EventSink events;

  /**
   * host: the machine under the run's root (the CLI builds it: Hosts.forRoot); consul: the
   * command's Consul flags and environment, resolved once the config says where the agent is.
   */
  public Agent(Host host, ConsulAccess consul, EventSink events) {
    this.host = host;
    this.consul = consul;
    this.events = events;
  }

  public AgentSpec load(RunOptions o) {
    AgentSpec spec = parse(o);
    // a base image's config has no security: block: it is per-instance (Bake.check)
    if (o.bake()) Bake.check(spec);
    else SpecLoader.requireSecurity(spec); // exit 3 naming security: secure by default
    spec.service().ifPresent(s -> s.warnings().forEach(w -> events.info("warning: " + w)));
    return spec;
  }

  /**
   * Every warning a config earns (ignored annotations, a download without a digest): what plan and
   * apply say on every run, so validate can say the same.
   */
  public static List<String> warnings(AgentSpec spec) {
    List<String> out = new ArrayList<>();
    spec.service().ifPresent(s -> out.addAll(s.warnings()));
    out.addAll(SpecWarnings.of(spec)); // what prepare says on every plan and apply
    return out;
  }

  /**
   * What status checks against: the config, with the seed's service config as its service when the
   * config has none (as plan and apply see it: {@link SeedServiceConfig}).
   */
  public AgentSpec loadWithSeedService(RunOptions o) {
    AgentSpec spec = load(o);
    if (o.bake()) return spec;
    return SeedServiceConfig.read(spec, host)
        .map(s -> SeedServiceConfig.with(spec, s))
        .orElse(spec);
  }

  private AgentSpec parse(RunOptions o) {
    AgentSpec own = parseOwn(o);
    // a VM in a fleet group runs its own config with the overlay the watcher applied last, so a
    // plain apply keeps what the rollout did (README "Fleet rollouts")
    if (own.fleet().isEmpty()) return own;
    Optional<String> overlay = FleetState.appliedOverlay(host);
    if (overlay.isEmpty()) return own;
    events.info("fleet: with the overlay of revision " + FleetState.appliedRevision(host));
    return ConfigOverlay.apply(
        configBytes(o, host), overlay.get().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The VM's own config text (the config file, or the user-data's write_files entry; a Jinja part
   * rendered with the instance data under the host's root).
   */
  public static byte[] configBytes(RunOptions o, Host host) {
    if (o.userData().isPresent()) {
      byte[] raw = UserData.read(o.userData().get());
      String path = o.config().map(Path::toString).orElse(RunOptions.DEFAULT_CONFIG);
      return UserData.extract(
          raw, path, UserData.Accounts.read(o.root()), () -> InstanceData.read(host.fs()));
    }
    Path cfg = o.config().orElse(Path.of(RunOptions.DEFAULT_CONFIG));
    return SpecLoader.readInput(
        cfg, SpecLoader.MAX_BYTES, "config", "(use --config FILE or --user-data FILE)");
  }

  private AgentSpec parseOwn(RunOptions o) {
    if (o.userData().isPresent()) {
      Path ud = o.userData().get();
      byte[] raw = UserData.read(ud); // a regular file only, size capped while reading
      String path = o.config().map(Path::toString).orElse(RunOptions.DEFAULT_CONFIG);
      // cloud-init's write_files stops at an owner it cannot look up: the machine's accounts
      // a Jinja part: cloud-init's instance data on this host (DIR's under --root DIR)
      boolean[] secretData = {false}; // a Jinja part rendered with the sensitive file
      byte[] config =
          UserData.extract(
              raw,
              path,
              UserData.Accounts.read(o.root()),
              () -> {
                Optional<InstanceData> d = InstanceData.read(host.fs());
                secretData[0] = d.map(x -> x.file().equals(InstanceData.SENSITIVE)).orElse(false);
                return d;
              });
      try {
        return secretData[0]
            ? Validators.withValuesHidden(() -> loader(o).parse(config))
            : loader(o).parse(config);
      } catch (SpecException e) {
        throw e.in(path + " (the write_files entry of " + ud + ")");
      }
    }
    Path cfg = o.config().orElse(Path.of(RunOptions.DEFAULT_CONFIG));
    try {
      return loader(o).load(cfg);
    } catch (SpecException e) {
      throw e.in(cfg.toString()).withHint(cloudConfigHint(cfg, e));
    }
  }

  /**
   * A whole #cloud-config given as --config: its write_files (and the rest) are unknown keys of an
   * agent config, and what the operator meant is --user-data.
   */
  private static String cloudConfigHint(Path cfg, SpecException e) {
    boolean userData =
        e.problems().stream()
            .anyMatch(
                p ->
                    List.of("write_files", "runcmd", "packages", "users", "bootcmd")
                            .contains(p.path())
                        && p.detail().startsWith("unknown key"));
    return userData
        ? cfg
            + " looks like cloud-init user-data: give it as --user-data "
            + cfg
            + " (the agent config is its write_files entry)"
        : "";
  }

  private static SpecLoader loader(RunOptions o) {
    return o.bake() ? new SpecLoader().forBaseImage() : new SpecLoader();
  }

  /** Everything up to the point of change: load, build the catalog, observe, diff. */
  public Prepared prepare(RunOptions o) {
    return prepare(o, load(o));
  }

  private Prepared prepare(RunOptions o, AgentSpec spec) {
    return prepare(o, spec, false);
  }

  /** forApply: the engine starts the downloads the plan will want while it plans the rest. */
  private Prepared prepare(RunOptions o, AgentSpec spec, boolean forApply) {
    // plan and apply say it every time (status in its config check)
    for (String w : SpecWarnings.of(spec)) events.info("warning: " + w);
    if (o.bake()) Bake.warnIdentity(host.fs(), events);
    // the seed's way: a service config written by someone else (cloud-init) is the service
    Optional<ServiceConfig> input =
        o.bake() ? Optional.empty() : SeedServiceConfig.read(spec, host);
    if (input.isPresent()) spec = SeedServiceConfig.with(spec, input.get());
    Context ctx =
        new Context(
            Artifacts.of(spec, o.mirror()),
            Installer.lazy(events, Artifacts.limits(spec)),
            o.agentJar(),
            host.readOnly());
    List<Resource> resources =
        Catalog.resources(spec, ctx, new CatalogMode(o.bake(), input.isPresent()));
    Engine engine = new Engine(events);
    // apply: what the early downloads may create is in the ledger before it exists
    ApplyPlan plan =
        forApply
            ? engine.planForApply(resources, host, paths -> OwnershipLedger.add(host.fs(), paths))
            : new ApplyPlan(engine.plan(resources, host), Preparations.none(), Instant.now());
    return new Prepared(spec, host, engine, plan);
  }

  /** A loaded config's plan; for apply, with the downloads it already started. */
  public record Prepared(AgentSpec spec, Host host, Engine engine, ApplyPlan applyPlan) {
    /** What each resource needs. */
    public List<Planned> plan() {
      return applyPlan.planned();
    }
  }

  public RunResult plan(RunOptions o) {
    Instant start = Instant.now();
    Prepared p = prepare(o);
    // the secure mesh's cluster objects (unknown while Consul is not up yet); live hosts only
    List<Planned> all = new ArrayList<>(p.plan());
    if (p.host().live())
      all.addAll(p.engine().plan(SecureMesh.resources(p.spec(), p.host()), p.host()));
    RunResult r = p.engine().planResult(all, start);
    // what apply would then restart, reload or start: the plan says it, in words
    List<String> effects =
        PlanEffects.words(Engine.wouldNotify(all), p.spec().app().map(a -> a.unitName()), p.host());
    return new RunResult(
        r.mode(),
        r.start(),
        r.end(),
        r.outcomes(),
        effects,
        r.failed(),
        r.error(),
        r.created(),
        r.removed());
  }

  public RunResult apply(RunOptions o) {
    // validate before locking or touching anything: an invalid config changes nothing
    return apply(o, load(o));
  }

  /** Whether applying this spec (a fleet revision merged over the config) would change anything. */
  public boolean hasChanges(RunOptions o, AgentSpec spec) {
    Prepared p = prepare(o, spec);
    return p.plan().stream().anyMatch(x -> x.change().kind() != Change.Kind.NONE);
  }

  /** Applies a given spec with the same engine, lock and reports as apply. */
  public RunResult apply(RunOptions o, AgentSpec spec) {
    Instant start = Instant.now();
    try (RunLock lock = RunLock.acquire(host, o.lockWait())) {
      Prepared p = prepare(o, spec, true);
      // consul.service is Type=exec: wait for its HTTP API where a step needs it, never for READY
      ConsulEndpoint endpoint =
          consul.resolve(Optional.of(ConsulConfig.httpAddr(spec.consul(), spec.security())));
      var notifier =
          ConsulReadyNotifier.live(
              new SystemdNotifier(p.host()), p.host().live(), endpoint, events);
      RunResult r =
          p.engine()
              .apply(
                  p.applyPlan(),
                  p.host(),
                  notifier,
                  start,
                  paths -> OwnershipLedger.add(p.host().fs(), paths),
                  // a baked image's first boot: Consul starts once its inputs are written
                  InstanceReady.of(p.host(), System.getenv(), notifier));
      // the secure mesh: cluster objects once Consul answers; a new service token re-runs the
      // host pass, which registers the service and starts Envoy with it (also when a later
      // cluster object failed: the service works without its DNS token, say). The prepared
      // spec: with the seed's service config as its service (a baked image's machine), whose
      // login makes that token
      r = SecureMesh.afterHostPass(p.spec(), p.host(), r, start, events);
      if (SecureMesh.madeServiceToken(r)) {
        Prepared again = prepare(o, spec, true);
        r =
            SecureMesh.merge(
                r,
                again
                    .engine()
                    .apply(
                        again.plan(),
                        again.host(),
                        notifier,
                        start,
                        paths -> OwnershipLedger.add(again.host().fs(), paths)));
      }
      OwnershipLedger.update(p.host().fs(), r.created(), r.removed());
      ResultFile.write(p.host().fs(), r, r.failed() ? 1 : 0);
      return r;
    }
  }
}
