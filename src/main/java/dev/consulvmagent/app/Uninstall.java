package dev.consulvmagent.app;

import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Observed;
import dev.consulvmagent.engine.Planned;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.ResourceKey;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.FileStat;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.iptables.DnsRedirect;
import dev.consulvmagent.iptables.Iptables;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.resource.BinaryResource;
import dev.consulvmagent.resource.ProgramDigest;
import dev.consulvmagent.systemd.SystemdNotifier;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Removes everything the agent owns, per its ledger, and nothing else: units are stopped first and
 * our traffic rules removed (live host only); files and links go, then directories when empty —
 * except the agent's and Consul's data directories, which go whole.
 */
public final class Uninstall {
  /** Directories whose whole content is ours (Consul's data, our state and cache). */
  static final Set<String> DATA_DIRS =
      Set.of("/var/lib/consul", "/var/lib/consul-vm-agent", "/var/cache/consul-vm-agent");

  private final Host host;
  private final EventSink events;

  /** host: the machine under the run's root (the CLI builds it: Hosts.forRoot). */
  public Uninstall(Host host, EventSink events) {
    this.host = host;
    this.events = events;
  }

  /**
   * The uninstall command: with planOnly, what would be removed; else, under the run lock (so what
   * a concurrent run creates meanwhile is in the ledger read), the removal itself.
   */
  public RunResult run(RunOptions o, boolean planOnly) {
    if (planOnly) return new Engine(events).planResult(plan(host), host.clock().instant());
    try (RunLock lock = RunLock.acquire(host, o.lockWait())) {
      return apply(host, plan(host));
    }
  }

  public List<Planned> plan(Host host) {
    List<String> owned = new ArrayList<>(OwnershipLedger.read(host.fs()));
    // what lives in a data directory goes with it
    owned.removeIf(p -> DATA_DIRS.stream().anyMatch(d -> p.startsWith(d + "/")));
    // deepest first: a directory's content goes before the directory
    owned.sort(
        Comparator.comparingInt((String p) -> p.split("/").length)
            .reversed()
            .thenComparing(Comparator.reverseOrder()));
    Set<String> all = new HashSet<>(owned);
    List<Resource> rs = new ArrayList<>();
    // users first (while the account files still exist), then paths, deepest first
    for (String p : owned) {
      ResourceKey.parse(p)
          .filter(k -> k.kind() == ResourceKey.Kind.USER)
          .ifPresent(k -> rs.add(new UserRemoval(k.name())));
    }
    for (String p : owned.stream().distinct().toList())
      if (p.startsWith("/")) rs.add(new Removal(p, all, events));
    return new Engine(events).plan(rs, host);
  }

  public RunResult apply(Host host, List<Planned> plan) {
    Instant start = host.clock().instant();
    List<String> actions = new ArrayList<>();
    if (host.live()) {
      List<Notification> stops = new ArrayList<>();
      for (String u : List.of(UnitNames.ENVOY_ALL, "consul-sidecar-init.service", "consul.service"))
        stops.add(Notification.stop(u));
      for (Planned p : plan) {
        String path = p.resource().path().orElse("");
        if (path.startsWith("/etc/systemd/system/")
            && path.endsWith(".service")
            && !path.contains("/multi-user.target.wants/")
            && p.change().kind() == Change.Kind.DELETE) {
          String unit = path.substring(path.lastIndexOf('/') + 1);
          if (!unit.contains("@")) stops.add(Notification.stop(unit));
        }
      }
      actions.addAll(new SystemdNotifier(host).run(stops.stream().distinct().toList()));
      // the sidecar's chains and the DNS redirect's, in one transaction
      String script = DnsRedirect.removeAll(new Iptables(host));
      actions.add(script.isEmpty() ? "no traffic rules to remove" : "removed our traffic rules");
    }
    RunResult r = new Engine(events).apply(plan, host, n -> List.of(), start);
    if (host.live() && !r.failed()) {
      host.run(List.of("systemctl", "daemon-reload"), Duration.ofSeconds(60));
      actions.add("systemctl daemon-reload");
    }
    actions.addAll(r.actions());
    return new RunResult(
        "uninstall", r.start(), r.end(), r.outcomes(), actions, r.failed(), r.error());
  }

  /** A system user the agent created. */
  static final class UserRemoval implements Resource {
    private final String name;

    UserRemoval(String name) {
      this.name = name;
    }

    @Override
    public ResourceKey key() {
      return ResourceKey.of(ResourceKey.Kind.REMOVE_USER, name);
    }

    @Override
    public State desired() {
      return null;
    }

    @Override
    public Observed observe(Host host) {
      return host.users().uid(name).isPresent()
          ? Observed.present(State.of(Map.of("user", name)))
          : Observed.absent();
    }

    @Override
    public void converge(Host host, Observed observed) {
      List<String> argv = new ArrayList<>(List.of("userdel"));
      if (!host.live()) argv.addAll(List.of("--root", host.fs().root().toString()));
      argv.add(name);
      host.run(argv, Duration.ofSeconds(30)).check();
    }
  }

  /** One owned path to remove. */
  static final class Removal implements Resource {
    private final String path;
    private final Set<String> owned;
    private final EventSink events;

    Removal(String path, Set<String> owned, EventSink events) {
      this.path = path;
      this.owned = owned;
      this.events = events;
    }

    /**
     * A binary we installed (it has a receipt) that no longer has the receipt's sha256 was replaced
     * after install, by the admin or a package: it is no longer ours to delete (issue 20). An
     * unreadable receipt counts as a mismatch: when in doubt, keep. Empty when it is still ours;
     * else the warning to give.
     */
    /** Whether p goes in this uninstall: ours, not replaced, and (a directory) all of it goes. */
    private boolean goes(Host host, String p) {
      if (!owned.contains(p)) return false;
      var st = host.fs().stat(p);
      if (st.isEmpty()) return true;
      if (st.get().type() == FileStat.Type.DIRECTORY && !DATA_DIRS.contains(p)) {
        return host.fs().list(p).stream().allMatch(child -> goes(host, p + "/" + child));
      }
      return replacedSinceInstall(host, p).isEmpty();
    }

    static Optional<String> replacedSinceInstall(Host host, String path) {
      Optional<byte[]> receipt = host.fs().readIfExists(BinaryResource.receiptPath(path));
      if (receipt.isEmpty()) return Optional.empty();
      var st = host.fs().stat(path);
      if (st.isEmpty() || st.get().type() != FileStat.Type.FILE) return Optional.empty();
      Optional<ProgramDigest> want;
      try {
        want = ProgramDigest.inReceipt(Json.parseObject(receipt.get()));
      } catch (IOException | RuntimeException e) {
        want = Optional.empty();
      }
      // the file's digest of the receipt's kind; its sha256 when the receipt has none
      ProgramDigest have =
          want.map(w -> w.ofFile(host.fs(), path))
              .orElseGet(() -> ProgramDigest.sha256(host.fs().sha256(path)));
      if (want.isPresent() && have.equals(want.get())) return Optional.empty();
      return Optional.of(
          "warning: "
              + path
              + " was replaced after consul-vm-agent installed it (its "
              + have.describe()
              + " is not the receipt's"
              + want.map(w -> " " + w.shortHex()).orElse("")
              + "): keeping it");
    }

    @Override
    public Optional<String> path() {
      return Optional.of(path);
    }

    @Override
    public ResourceKey key() {
      return ResourceKey.of(ResourceKey.Kind.REMOVE, path);
    }

    @Override
    public State desired() {
      return null;
    }

    @Override
    public Observed observe(Host host) {
      host.fs().resolve(path); // a link on the way (R/etc swapped for one) refuses the uninstall
      var st = host.fs().stat(path);
      if (st.isEmpty()) return Observed.absent();
      if (st.get().type() == FileStat.Type.DIRECTORY
          && !DATA_DIRS.contains(path)
          && !host.fs().list(path).stream().allMatch(child -> goes(host, path + "/" + child))) {
        // something that is not ours lives in it, so it stays
        return Observed.absent();
      }
      Optional<String> replaced = replacedSinceInstall(host, path);
      if (replaced.isPresent()) {
        events.info(replaced.get());
        return Observed.absent();
      }
      return Observed.present(State.of(Map.of("type", st.get().type().name().toLowerCase())));
    }

    @Override
    public void converge(Host host, Observed observed) {
      var st = host.fs().stat(path);
      if (st.isPresent()
          && st.get().type() == FileStat.Type.DIRECTORY
          && DATA_DIRS.contains(path)) {
        host.fs().deleteTree(path); // never follows a link inside (HostFs)
      } else {
        host.fs().delete(path);
      }
    }
  }
}
