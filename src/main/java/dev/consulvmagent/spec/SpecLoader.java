package dev.consulvmagent.spec;

import dev.consulvmagent.host.FileStat;
import dev.consulvmagent.host.LocalFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.Parser;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads the agent config (YAML) into an {@link AgentSpec}. Safe loading only: the document is
 * composed into nodes and never constructed into objects, any non-standard tag is rejected, unknown
 * keys are rejected, and every error names its key path and line.
 */
public final class SpecLoader {
  public static final int MAX_BYTES = 1024 * 1024;
  public static final String DEFAULT_CONSUL_VERSION = "1.16.6";
  public static final String DEFAULT_ENVOY_VERSION = "1.26.8";
  private static final Set<Tag> PLAIN_TAGS =
      Set.of(Tag.STR, Tag.INT, Tag.BOOL, Tag.NULL, Tag.FLOAT, Tag.MAP, Tag.SEQ);

  private boolean baseImage;

  /**
   * A loader for a base image's config (apply --bake): a client's join address is per-instance, so
   * it is not required here (the bake refuses it: app/Bake); everything else is checked alike.
   */
  public SpecLoader forBaseImage() {
    SpecLoader l = new SpecLoader();
    l.baseImage = true;
    return l;
  }

  public AgentSpec load(Path file) {
    return parse(readInput(file, MAX_BYTES, "config", "(use --config FILE or --user-data FILE)"));
  }

  /**
   * Reads a config or user-data file, at most max bytes. Only a regular file (a link to one is
   * fine): a device such as /dev/zero never ends and a FIFO blocks until someone writes, so both
   * are refused before they are opened, and the read itself stops at max + 1 bytes whatever the
   * size said (a file that grows while it is read).
   */
  public static byte[] readInput(Path file, int max, String what, String hint) {
    try {
      FileStat a = LocalFiles.stat(file);
      if (a.type() != FileStat.Type.FILE) {
        String kind =
            a.type() == FileStat.Type.DIRECTORY
                ? "a directory"
                : "a device, FIFO or socket, not a regular file";
        throw new SpecException(what, file + " is " + kind + "; give the path of a regular file");
      }
      byte[] bytes = a.size() <= max ? readWithDeadline(file, max + 1, READ_DEADLINE) : new byte[0];
      if (a.size() > max || bytes.length > max) {
        throw new SpecException(
            what,
            file + " is larger than " + max / (1024 * 1024) + " MiB; this is not an agent " + what);
      }
      return bytes;
    } catch (NoSuchFileException e) {
      String also = hint.isEmpty() ? "" : " " + hint;
      throw new SpecException(what, what + " file " + file + " does not exist" + also);
    } catch (IOException e) {
      throw new SpecException(what, "cannot read " + file + ": " + e.getMessage());
    }
  }

  static final java.time.Duration READ_DEADLINE = java.time.Duration.ofSeconds(20);

  /**
   * Opens and reads at most limit bytes in a daemon thread: a file swapped for a FIFO after the
   * check above would block open(2) until a writer came (not interruptible), and a FIFO that got a
   * writer could block read(2). The agent gives up after {@link #READ_DEADLINE}; the stuck thread
   * ends with the process.
   */
  static byte[] readWithDeadline(Path file, int limit, java.time.Duration deadline)
      throws IOException {
    // a plain thread and join: CompletableFuture would load the fork-join pool at start-up
    byte[][] read = new byte[1][];
    Exception[] failed = new Exception[1];
    Thread t =
        new Thread(
            () -> {
              try (InputStream in = LocalFiles.open(file)) {
                read[0] = in.readNBytes(limit);
              } catch (IOException | RuntimeException e) {
                failed[0] = e;
              }
            },
            "read " + file.getFileName());
    t.setDaemon(true);
    t.start();
    try {
      t.join(deadline.toMillis()); // join: the thread's writes are visible after it
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
    if (t.isAlive()) {
      throw new IOException("no data within " + deadline.toMillis() + " ms (not a regular file?)");
    }
    if (failed[0] instanceof IOException io) throw io;
    if (failed[0] != null) throw new IOException(String.valueOf(failed[0]));
    return read[0];
  }

  /**
   * A service-config file (/srv/consul/service-config.json, read by sidecar-init) with the agent
   * config's rules: strict text, every error at once, annotation errors with their line.
   */
  public static ServiceConfig serviceConfig(byte[] json) {
    Walk walk = new Walk(true);
    Node root = compose(json, walk);
    Problems p = new Problems();
    walk.problems.forEach(p::add);
    Optional<ServiceConfig> c =
        service(new Node("service-config", root.yaml()), p, Optional.empty());
    p.throwIfAny();
    return c.orElseThrow(() -> new SpecException("service-config", "is not a service config"));
  }

  public AgentSpec parse(byte[] bytes) {
    Walk walk = new Walk(true);
    Node root = compose(bytes, walk);
    return fromNode(root, walk.problems);
  }

  /**
   * Composes YAML text into a checked node tree: strict, for the agent config and the service
   * config (every scalar must be text a unit file can carry, see {@link Validators#unsafeCharAt}).
   */
  public static Node compose(byte[] bytes) {
    return compose(bytes, true);
  }

  /**
   * Composes YAML text into a checked node tree. Snakeyaml's own alias limit counts only aliases of
   * collections, so the tree is walked once here as a consumer will see it, aliases expanded, and
   * refused beyond {@link #MAX_EXPANDED_NODES} nodes, {@link #MAX_EXPANDED_CHARS} characters of
   * text or {@link #MAX_EXPANDED_DEPTH} levels: every later reader ({@link Node#plain()}, the
   * cloud-init merge) then works on a bounded tree. Duplicate keys are refused (snakeyaml checks
   * them only when constructing objects, which we never do; cloud-init keeps the last, we would
   * keep the first: neither is what the author meant). {@code strict}: refuse control characters.
   */
  public static Node compose(byte[] bytes, boolean strict) {
    Walk walk = new Walk(strict);
    Node root = compose(bytes, walk);
    if (!walk.problems.isEmpty()) throw SpecException.of(walk.problems);
    return root;
  }

  /**
   * As above, but problems a reader can step over (a tag, a control character, a duplicate key) are
   * left in walk.problems, to be reported with the rest; the walk's counts go on across calls (the
   * parts of one user-data file).
   */
  static Node compose(byte[] bytes, Walk walk) {
    if (bytes.length > MAX_BYTES) {
      throw new SpecException("", "input is larger than 1 MiB");
    }
    String text = decodeUtf8(bytes);
    if (text.indexOf('\0') >= 0) {
      throw new SpecException("", "input contains NUL bytes; it is not a YAML text file");
    }
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(20);
    options.setNestingDepthLimit(40);
    options.setCodePointLimit(MAX_BYTES);
    options.setAllowRecursiveKeys(false);
    org.yaml.snakeyaml.nodes.Node root;
    try {
      // what Yaml.compose does, without the Yaml facade: its constructor and representer pull
      // in java.util.logging (~50 ms of start-up) and nothing here constructs objects anyway
      Parser parser = new EventLimit(new ParserImpl(new StreamReader(text), options));
      root = new Composer(parser, new Resolver(), options).getSingleNode();
    } catch (MarkedYAMLException e) {
      throw syntaxError(e);
    } catch (YAMLException e) {
      throw new SpecException("", "YAML error: " + e.getMessage());
    }
    if (root == null) {
      throw new SpecException("", "the config is empty");
    }
    walk.check(root, "", 0);
    return new Node("", root);
  }

  public static final int MAX_EXPANDED_NODES = 100_000;
  public static final int MAX_EXPANDED_CHARS = 2 * MAX_BYTES;
  public static final int MAX_EXPANDED_DEPTH = 64;

  private static String decodeUtf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new SpecException("", "input is not UTF-8 text");
    }
  }

  /**
   * Stops the parser after {@link #MAX_EXPANDED_NODES} events: the composer holds every node it
   * builds, so a megabyte of "1," (half a million scalars) would exhaust a small heap before the
   * walk below could count them. Each node is at least one event.
   */
  private static final class EventLimit implements Parser {
    private final Parser in;
    private int events;

    EventLimit(Parser in) {
      this.in = in;
    }

    @Override
    public boolean checkEvent(Event.ID choice) {
      return in.checkEvent(choice);
    }

    @Override
    public Event peekEvent() {
      return in.peekEvent();
    }

    @Override
    public Event getEvent() {
      Event e = in.getEvent();
      if (++events > MAX_EXPANDED_NODES + 4) { // + stream and document start and end
        int line = e.getStartMark() == null ? -1 : e.getStartMark().getLine() + 1;
        throw new SpecException(
            "",
            line,
            "the document has more than "
                + MAX_EXPANDED_NODES
                + " values; this is not an agent config");
      }
      return e;
    }
  }

  /** One pass over the composed tree as its readers will see it (aliases expanded). */
  static final class Walk {
    private final boolean strict;
    final List<SpecException> problems = new ArrayList<>();
    private long nodes;
    private long chars;

    Walk(boolean strict) {
      this.strict = strict;
    }

    void check(org.yaml.snakeyaml.nodes.Node n, String path, int depth) {
      int line = n.getStartMark().getLine() + 1;
      if (++nodes > MAX_EXPANDED_NODES || depth > MAX_EXPANDED_DEPTH) {
        throw new SpecException(
            path,
            line,
            "the document expands, with its aliases, to more than "
                + (depth > MAX_EXPANDED_DEPTH
                    ? MAX_EXPANDED_DEPTH + " levels"
                    : MAX_EXPANDED_NODES + " values")
                + "; this is not an agent config");
      }
      if (!PLAIN_TAGS.contains(n.getTag())) {
        problems.add(
            new SpecException(
                path,
                line,
                "YAML tag "
                    + Validators.quote(n.getTag().getValue())
                    + " is not allowed (only plain values, lists and mappings)"));
        return;
      }
      if (n instanceof ScalarNode s) {
        String v = s.getValue();
        chars += v.length();
        if (chars > MAX_EXPANDED_CHARS) {
          throw new SpecException(
              path,
              line,
              "the document expands, with its aliases, to more than "
                  + MAX_EXPANDED_CHARS / (1024 * 1024)
                  + " MiB of text; this is not an agent config");
        }
        int at = strict ? Validators.unsafeCharAt(v, true) : -1;
        if (at >= 0) {
          problems.add(
              new SpecException(
                  path,
                  line,
                  "contains "
                      + Validators.describeChar(v, at)
                      + " at offset "
                      + at
                      + "; control and format characters are not allowed (only newline and tab)"));
        }
      } else if (n instanceof MappingNode m) {
        Set<String> seen = new HashSet<>();
        for (NodeTuple t : m.getValue()) {
          if (!(t.getKeyNode() instanceof ScalarNode k)) {
            throw new SpecException(
                path,
                t.getKeyNode().getStartMark().getLine() + 1,
                "keys must be plain strings, not lists or mappings");
          }
          String key = k.getValue();
          String child = path.isEmpty() ? key : path + "." + key;
          if (!seen.add(key)) {
            problems.add(
                new SpecException(
                    child,
                    k.getStartMark().getLine() + 1,
                    "duplicate key (it appears twice in the same mapping; remove one)"));
          }
          check(k, child, depth + 1);
          check(t.getValueNode(), child, depth + 1);
        }
      } else if (n instanceof SequenceNode q) {
        int i = 0;
        for (org.yaml.snakeyaml.nodes.Node c : q.getValue()) {
          check(c, path + "[" + i++ + "]", depth + 1);
        }
      }
    }
  }

  /**
   * Collects problems instead of stopping at the first, so one run reports every error in the file,
   * each with its key path and line.
   */
  static final class Problems {
    private final List<SpecException> found = new ArrayList<>();

    <T> T get(Supplier<T> read, T fallback) {
      try {
        T v = read.get();
        return v == null ? fallback : v;
      } catch (SpecException e) {
        found.add(e);
        return fallback;
      }
    }

    void run(Runnable r) {
      try {
        r.run();
      } catch (SpecException e) {
        found.add(e);
      }
    }

    void add(SpecException e) {
      found.add(e);
    }

    boolean any() {
      return !found.isEmpty();
    }

    void throwIfAny() {
      if (!found.isEmpty()) throw SpecException.of(found);
    }
  }

  AgentSpec fromNode(Node root) {
    return fromNode(root, List.of());
  }

  private AgentSpec fromNode(Node root, List<SpecException> early) {
    Problems p = new Problems();
    early.forEach(p::add);
    if (!root.isMapping()) {
      p.add(
          root.error(
              "the config must be a mapping with keys consul, envoy, app, service, dns,"
                  + " downloads"));
      p.throwIfAny();
    }
    ConsulSpec consul = consul(root.get("consul"), p);
    EnvoySpec envoy = envoy(root.get("envoy"), p);
    Optional<AppSpec> app = Optional.ofNullable(root.get("app")).flatMap(n -> app(n, p));
    Optional<ServiceConfig> service =
        Optional.ofNullable(root.get("service"))
            .flatMap(n -> service(n, p, app.flatMap(AppSpec::port)));
    DnsSpec dns = dns(root.get("dns"), p);
    DownloadsSpec downloads = downloads(root.get("downloads"), p);
    Optional<FleetSpec> fleet = Optional.ofNullable(root.get("fleet")).flatMap(n -> fleet(n, p));
    SecuritySpec security =
        SecuritySection.read(
            root.get("security"), consul == null ? ConsulSpec.Role.CLIENT : consul.role(), p);
    p.run(root::done);
    if (consul != null && service.isPresent()) {
      Node extra = root.get("consul").get("extra_config");
      ExtraConfig.checkServices(consul.extraConfig(), service.get().mesh(), extra, p);
    }
    PortClash.check(envoy, app, service, root, p);
    if (consul != null && envoy != null && !envoy.ignoreCompatibility()) {
      EnvoyCompatibility.check(consul.version(), envoy.version())
          .ifPresent(
              msg ->
                  p.add(
                      new SpecException(
                          "envoy.version",
                          lineOf(root, "envoy", "version"),
                          msg + " (set envoy.ignore_compatibility: true to override)")));
    }
    p.throwIfAny();
    AgentSpec spec =
        new AgentSpec(
            consul,
            envoy,
            app,
            service,
            dns,
            downloads,
            security == null ? SecuritySpec.unset() : security,
            fleet);
    ConsulVersions.check(spec); // what the configured Consul lacks: exit 3 naming consul.version
    if (security != null) SecuritySection.check(security, consul, root);
    return spec;
  }

  /**
   * A YAML syntax error at the line of the mistake: snakeyaml's problem mark is where it noticed
   * (an unclosed {@code [} is noticed at the next key, lines later); its context mark, when it has
   * one, is where the construct it was reading began (MarkedYAMLException: context, problem).
   */
  static SpecException syntaxError(MarkedYAMLException e) {
    int problem = e.getProblemMark() == null ? -1 : e.getProblemMark().getLine() + 1;
    int context = e.getContextMark() == null ? -1 : e.getContextMark().getLine() + 1;
    String what = e.getProblem() + (problem > 0 ? " (line " + problem + ")" : "");
    if (e.getContext() != null && context > 0 && context != problem) {
      return new SpecException(
          "", context, "YAML syntax error " + e.getContext() + " begun here: " + what);
    }
    return new SpecException("", problem, "YAML syntax error: " + e.getProblem());
  }

  /**
   * Refuses (exit 3, naming it) a config without a security section: validate, plan, apply and
   * status call this after loading. Separate from {@link #parse} so that code reading a config for
   * one part (tests of that part, the sidecar's service config) need not carry secrets.
   */
  public static void requireSecurity(AgentSpec spec) {
    SecuritySection.requirePresent(spec.security());
  }

  private static int lineOf(Node root, String section, String key) {
    Node s = root.get(section);
    return s == null || !s.isMapping() ? -1 : s.keyLine(key);
  }

  private static boolean mapping(Node n, Problems p, String what) {
    if (n.isMapping()) return true;
    p.add(n.error("expected a mapping of " + what));
    return false;
  }

  private ConsulSpec consul(Node n, Problems p) {
    if (n == null) {
      p.add(
          new SpecException(
              "consul", "is required (at least: consul: {role: client, retry_join: [...]})"));
      return null;
    }
    if (!mapping(n, p, "Consul settings")) return null;
    String version =
        p.get(
            () -> opt(n, "version").map(Validators::version).orElse(DEFAULT_CONSUL_VERSION),
            DEFAULT_CONSUL_VERSION);
    ConsulSpec.Role roleOrNull =
        p.get(
            () ->
                opt(n, "role")
                    .map(
                        r ->
                            switch (r.text()) {
                              case "server" -> ConsulSpec.Role.SERVER;
                              case "client" -> ConsulSpec.Role.CLIENT;
                              default ->
                                  throw r.error(
                                      "must be 'server' or 'client', got "
                                          + Validators.quote(r.text()));
                            })
                    .orElse(ConsulSpec.Role.CLIENT),
            null);
    ConsulSpec.Role role = roleOrNull == null ? ConsulSpec.Role.CLIENT : roleOrNull;
    String dc = p.get(() -> opt(n, "datacenter").map(Validators::datacenter).orElse("dc1"), "dc1");
    Optional<String> nodeName =
        p.get(() -> opt(n, "node_name").map(Validators::nodeName), Optional.empty());
    Optional<String> bind = p.get(() -> opt(n, "bind_addr").map(Validators::ip), Optional.empty());
    Optional<String> advertise =
        p.get(() -> opt(n, "advertise_addr").map(Validators::ip), Optional.empty());
    String client =
        p.get(() -> opt(n, "client_addr").map(Validators::ip).orElse("127.0.0.1"), "127.0.0.1");
    List<String> join = new ArrayList<>();
    int[] joinEntries = {0}; // entries given, valid or not: invalid ones are reported themselves
    p.run(
        () ->
            opt(n, "retry_join")
                .ifPresent(
                    j -> {
                      for (Node x : j.list()) {
                        joinEntries[0]++;
                        p.run(() -> join.add(Validators.joinAddress(x)));
                      }
                    }));
    int expect =
        p.get(
            () ->
                opt(n, "bootstrap_expect")
                    .map(
                        b -> {
                          long v = b.integer();
                          if (v < 1 || v > 9) throw b.error("must be between 1 and 9, got " + v);
                          if (roleOrNull == ConsulSpec.Role.CLIENT)
                            throw b.error("is only valid for role: server");
                          return (int) v;
                        })
                    .orElse(role == ConsulSpec.Role.SERVER ? 1 : 0),
            0);
    boolean ui =
        p.get(() -> opt(n, "ui").map(Node::bool).orElse(role == ConsulSpec.Role.SERVER), false);
    Optional<Secret> encrypt =
        p.get(
            () ->
                opt(n, "encrypt")
                    .map(
                        e -> {
                          String v = e.text();
                          if (!v.matches("[A-Za-z0-9+/]{22,}={0,2}"))
                            throw e.error("is not a base64 gossip key (consul keygen)");
                          return new Secret(v);
                        }),
            Optional.empty());
    Optional<Secret> token =
        p.get(
            () ->
                opt(n, "acl_token")
                    .map(
                        t -> {
                          String v = t.text();
                          if (!v.matches("[A-Za-z0-9-]{8,128}"))
                            throw t.error("is not a valid ACL token");
                          return new Secret(v);
                        }),
            Optional.empty());
    Optional<String> sha = p.get(() -> opt(n, "sha256").map(Validators::sha256), Optional.empty());
    Map<String, Object> extra = new LinkedHashMap<>();
    Node extraNode = n.get("extra_config");
    if (extraNode != null && mapping(extraNode, p, "Consul agent settings")) {
      p.run(() -> extra.putAll(ExtraConfig.check(extraNode, client, p)));
    }
    p.run(n::done);
    if (!baseImage && roleOrNull == ConsulSpec.Role.CLIENT && joinEntries[0] == 0) {
      p.add(n.missing("retry_join", "a client needs at least one server address to join"));
    }
    return new ConsulSpec(
        version, role, dc, nodeName, bind, advertise, client, join, expect, ui, encrypt, token, sha,
        extra);
  }

  private EnvoySpec envoy(Node n, Problems p) {
    EnvoySpec dflt = new EnvoySpec(DEFAULT_ENVOY_VERSION, Optional.empty(), 19000, false);
    if (n == null) return dflt;
    if (!mapping(n, p, "Envoy settings")) return null;
    String version =
        p.get(() -> opt(n, "version").map(Validators::version).orElse(DEFAULT_ENVOY_VERSION), null);
    Optional<String> sha = p.get(() -> opt(n, "sha256").map(Validators::sha256), Optional.empty());
    int admin = p.get(() -> opt(n, "admin_port").map(Node::port).orElse(19000), 19000);
    boolean ignore =
        p.get(() -> opt(n, "ignore_compatibility").map(Node::bool).orElse(false), true);
    p.run(n::done);
    return version == null ? null : new EnvoySpec(version, sha, admin, ignore);
  }

  private Optional<AppSpec> app(Node n, Problems p) {
    if (!mapping(n, p, "application settings")) return Optional.empty();
    String name = p.get(() -> Validators.appName(n.require("name")), null);
    String url = p.get(() -> Validators.httpUrl(n.require("url")), null);
    Optional<String> sha = p.get(() -> opt(n, "sha256").map(Validators::sha256), Optional.empty());
    Optional<String> sums =
        p.get(() -> opt(n, "checksums_url").map(Validators::httpUrl), Optional.empty());
    boolean skip =
        p.get(() -> opt(n, "insecure_skip_checksum").map(Node::bool).orElse(false), false);
    if (skip && (n.get("sha256") != null || n.get("checksums_url") != null)) {
      p.add(
          new SpecException(
              "app.insecure_skip_checksum",
              n.line(),
              "contradicts app.sha256 / app.checksums_url: remove one"));
    }
    if (n.get("sha256") == null && n.get("checksums_url") == null && !skip) {
      p.add(
          new SpecException(
              "app.sha256",
              n.line(),
              "is required (or app.checksums_url, or app.insecure_skip_checksum: true where no"
                  + " digest exists): downloads are verified"));
    }
    String binary = p.get(() -> opt(n, "binary").map(Validators::appBinary).orElse(null), null);
    if (n.get("binary") == null && name != null) {
      // the binary defaults to the name: the name must also be a name we may install
      binary = p.get(() -> Validators.appBinary(n.require("name")), null);
    }
    Optional<String> entry =
        p.get(() -> opt(n, "archive_entry").map(Validators::fileName), Optional.empty());
    List<String> args = new ArrayList<>();
    p.run(
        () ->
            opt(n, "args")
                .ifPresent(
                    a -> {
                      for (Node x : a.list()) p.run(() -> args.add(Validators.singleLine(x)));
                    }));
    Map<String, String> env = new LinkedHashMap<>();
    Node envNode = n.get("environment");
    if (envNode != null && mapping(envNode, p, "environment variables")) {
      for (Map.Entry<String, Node> e : envNode.children().entrySet()) {
        String k = e.getKey();
        if (!Validators.isEnvironmentName(k)) {
          p.add(
              new SpecException(
                  "app.environment." + k,
                  envNode.keyLine(k),
                  "is not a valid environment variable name (letters, digits and '_', not starting"
                      + " with a digit)"));
          continue;
        }
        if (e.getValue() == null) {
          p.add(
              new SpecException(
                  "app.environment." + k,
                  envNode.keyLine(k),
                  "has no value (use '' for an empty one)"));
          continue;
        }
        p.run(() -> env.put(k, Validators.singleLine(e.getValue())));
      }
    }
    Optional<Integer> port = p.get(() -> opt(n, "port").map(Node::port), Optional.empty());
    p.run(n::done);
    if (name == null || url == null || binary == null || (sha.isEmpty() && sums.isEmpty() && !skip))
      return Optional.empty();
    return Optional.of(
        new AppSpec(name, url, sha, sums, binary, entry, List.copyOf(args), env, port, skip));
  }

  /**
   * The service config, with every error: its reader stops at the first, so it is read again
   * without the keys and annotations already reported (at most {@link #SERVICE_ROUNDS} times; an
   * error about a key already left out is a consequence, not a new problem, and ends the search),
   * and each annotation error gets the line of its annotation.
   */
  private static Optional<ServiceConfig> service(Node n, Problems p, Optional<Integer> appPort) {
    Set<String> dropped = new HashSet<>();
    Node current = n;
    for (int round = 0; round < SERVICE_ROUNDS; round++) {
      try {
        ServiceConfig c = ServiceConfig.fromNode(current, appPort);
        if (c.mesh().name().equals("consul")) {
          // Consul's servers register their own service named consul (consul.service.consul,
          // which DNS and the doctor resolve): a mesh service of that name collides with it
          Node ann = n.get("annotations");
          p.add(
              ann != null
                  ? new SpecException(
                      n.path() + ".annotations." + CONNECT_SERVICE,
                      ann.keyLine(CONNECT_SERVICE),
                      "'consul' is reserved: it is Consul's own service; choose another name")
                  : new SpecException(
                      n.path() + ".name",
                      n.keyLine("name"),
                      "'consul' is reserved: it is Consul's own service; choose another name"));
          return Optional.empty();
        }
        return dropped.isEmpty() ? Optional.of(c) : Optional.empty();
      } catch (SpecException e) {
        List<String> again = new ArrayList<>();
        for (SpecException one : e.problems()) {
          String key = droppable(n, one.path());
          if (key != null && dropped.contains(key)) return Optional.empty();
          boolean annotation = key != null && key.startsWith("a:");
          p.add(
              !annotation || one.line() > 0
                  ? one
                  : new SpecException(
                      one.path(), n.get("annotations").keyLine(key.substring(2)), one.detail()));
          if (key == null) return Optional.empty();
          again.add(key);
        }
        dropped.addAll(again);
        current = without(n, dropped);
      }
    }
    return Optional.empty();
  }

  static final int SERVICE_ROUNDS = 20;
  private static final String CONNECT_SERVICE = "consul.hashicorp.com/connect-service";

  /**
   * What an error path names in the service mapping: "a:KEY" for an annotation
   * (service.annotations.KEY…), "k:KEY" for a key of the simple form (service.KEY…), or null.
   */
  private static String droppable(Node service, String path) {
    if (!service.isMapping() || path == null || !path.startsWith(service.path() + ".")) return null;
    Node ann = service.get("annotations");
    String annPrefix = service.path() + ".annotations.";
    if (ann != null && ann.isMapping() && path.startsWith(annPrefix)) {
      String rest = path.substring(annPrefix.length());
      String best = null;
      for (String k : ann.keys()) {
        boolean names = rest.equals(k) || rest.startsWith(k + ".") || rest.startsWith(k + "[");
        if (names && (best == null || k.length() > best.length())) best = k;
      }
      return best == null ? null : "a:" + best;
    }
    String rest = path.substring(service.path().length() + 1);
    int end = rest.length();
    for (char c : new char[] {'.', '['})
      if (rest.indexOf(c) >= 0) end = Math.min(end, rest.indexOf(c));
    String top = rest.substring(0, end);
    return top.equals("annotations") || !service.keys().contains(top) ? null : "k:" + top;
  }

  /**
   * Required keys get a valid stand-in instead of being left out, so the search goes on past them
   * (the stand-in is never used: the config is refused anyway).
   */
  private static final Map<String, String> STAND_INS =
      Map.of(
          "k:name",
          "stand-in",
          "k:port",
          "1",
          "a:consul.hashicorp.com/connect-service",
          "stand-in",
          "a:consul.hashicorp.com/connect-service-port",
          "1");

  /** The service node without these keys and annotations (a copy; the document is unchanged). */
  private static Node without(Node service, Set<String> dropped) {
    MappingNode s = (MappingNode) service.yaml();
    List<NodeTuple> tuples = new ArrayList<>();
    for (NodeTuple t : s.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode k)) continue;
      if (dropped.contains("k:" + k.getValue())) {
        String standIn = STAND_INS.get("k:" + k.getValue());
        if (standIn != null) tuples.add(new NodeTuple(k, standIn(standIn, t.getValueNode())));
        continue;
      }
      if (k.getValue().equals("annotations") && t.getValueNode() instanceof MappingNode a) {
        List<NodeTuple> kept = new ArrayList<>();
        for (NodeTuple at : a.getValue()) {
          String ak = at.getKeyNode() instanceof ScalarNode x ? "a:" + x.getValue() : null;
          if (!dropped.contains(ak)) kept.add(at);
          else if (STAND_INS.containsKey(ak))
            kept.add(new NodeTuple(at.getKeyNode(), standIn(STAND_INS.get(ak), at.getValueNode())));
        }
        tuples.add(
            new NodeTuple(
                k,
                new MappingNode(
                    a.getTag(), true, kept, a.getStartMark(), a.getEndMark(), a.getFlowStyle())));
      } else {
        tuples.add(t);
      }
    }
    return new Node(
        service.path(),
        new MappingNode(
            s.getTag(), true, tuples, s.getStartMark(), s.getEndMark(), s.getFlowStyle()));
  }

  private static ScalarNode standIn(String value, org.yaml.snakeyaml.nodes.Node at) {
    return new ScalarNode(
        Tag.STR,
        value,
        at.getStartMark(),
        at.getEndMark(),
        org.yaml.snakeyaml.DumperOptions.ScalarStyle.PLAIN);
  }

  private DnsSpec dns(Node n, Problems p) {
    if (n == null) return new DnsSpec(DnsSpec.Mode.AUTO);
    if (!mapping(n, p, "DNS settings")) return new DnsSpec(DnsSpec.Mode.AUTO);
    DnsSpec.Mode mode =
        p.get(
            () ->
                opt(n, "mode")
                    .map(
                        m ->
                            switch (m.text()) {
                              case "auto" -> DnsSpec.Mode.AUTO;
                              case "resolved" -> DnsSpec.Mode.RESOLVED;
                              case "iptables" -> DnsSpec.Mode.IPTABLES;
                              case "none" -> DnsSpec.Mode.NONE;
                              default ->
                                  throw m.error(
                                      "must be one of auto, resolved, iptables, none; got "
                                          + Validators.quote(m.text()));
                            })
                    .orElse(DnsSpec.Mode.AUTO),
            DnsSpec.Mode.AUTO);
    p.run(n::done);
    return new DnsSpec(mode);
  }

  private DownloadsSpec downloads(Node n, Problems p) {
    if (n == null) return new DownloadsSpec(Optional.empty(), Optional.empty(), true);
    if (!mapping(n, p, "download settings"))
      return new DownloadsSpec(Optional.empty(), Optional.empty(), true);
    Optional<String> mirror =
        p.get(
            () ->
                opt(n, "mirror")
                    .map(
                        m -> {
                          String v = Validators.singleLine(m);
                          return v.startsWith("/") || v.startsWith("file:/")
                              ? v
                              : Validators.httpUrl(m);
                        }),
            Optional.empty());
    Optional<String> arch =
        p.get(
            () ->
                opt(n, "arch")
                    .map(
                        a ->
                            switch (a.text()) {
                              case "amd64", "arm64" -> a.text();
                              default ->
                                  throw a.error(
                                      "must be amd64 or arm64, got " + Validators.quote(a.text()));
                            }),
            Optional.empty());
    boolean verify = p.get(() -> opt(n, "verify_signatures").map(Node::bool).orElse(true), true);
    DownloadsSpec.MaxSizes max =
        p.get(() -> maxSizes(opt(n, "max_size_mib"), p), DownloadsSpec.MaxSizes.DEFAULT);
    long speedLimit =
        p.get(
                () -> opt(n, "speed_limit").map(v -> range(v, 0, 1L << 30, "bytes per second")),
                Optional.<Long>empty())
            .orElse(DownloadsSpec.SPEED_LIMIT);
    long speedTime =
        p.get(
                () -> opt(n, "speed_time").map(v -> range(v, 1, 3600, "seconds")),
                Optional.<Long>empty())
            .orElse(DownloadsSpec.SPEED_TIME);
    p.run(n::done);
    return new DownloadsSpec(mirror, arch, verify, max, speedLimit, speedTime);
  }

  /** downloads.max_size_mib: {consul, envoy, app, checksums}, each a whole number of MiB. */
  private static DownloadsSpec.MaxSizes maxSizes(Optional<Node> node, Problems p) {
    DownloadsSpec.MaxSizes d = DownloadsSpec.MaxSizes.DEFAULT;
    if (node.isEmpty()) return d;
    Node m = node.get();
    if (!mapping(m, p, "sizes in MiB per artifact kind (consul, envoy, app, checksums)")) return d;
    long consul =
        p.get(
            () -> opt(m, "consul").map(v -> range(v, 1, 1 << 16, "MiB")).orElse(d.consul()),
            d.consul());
    long envoy =
        p.get(
            () -> opt(m, "envoy").map(v -> range(v, 1, 1 << 16, "MiB")).orElse(d.envoy()),
            d.envoy());
    long app =
        p.get(() -> opt(m, "app").map(v -> range(v, 1, 1 << 16, "MiB")).orElse(d.app()), d.app());
    long sums =
        p.get(
            () -> opt(m, "checksums").map(v -> range(v, 1, 64, "MiB")).orElse(d.checksums()),
            d.checksums());
    p.run(m::done);
    return new DownloadsSpec.MaxSizes(consul, envoy, app, sums);
  }

  private static long range(Node v, long min, long max, String unit) {
    long x = v.integer();
    if (x < min || x > max) {
      throw v.error("must be between " + min + " and " + max + " " + unit + ", got " + x);
    }
    return x;
  }

  /** The fleet block (issue 22): group, kv_prefix, token_file. */
  private Optional<FleetSpec> fleet(Node n, Problems p) {
    if (!mapping(n, p, "fleet settings")) return Optional.empty();
    String group =
        p.get(
            () -> {
              Node g = n.require("group");
              String v = g.text();
              if (!FleetSpec.isGroup(v))
                throw g.error(
                    "must be 1-63 of a-z, 0-9, '-', '_' (starting and ending with a letter or"
                        + " digit), got "
                        + Validators.quote(v));
              return v;
            },
            null);
    String prefix =
        p.get(
            () ->
                opt(n, "kv_prefix")
                    .map(
                        k -> {
                          String v = k.text();
                          if (!FleetSpec.isPrefix(v))
                            throw k.error(
                                "must be a KV path ending in '/' (segments of A-Z a-z 0-9 . _ -,"
                                    + " no leading '/', no '..'), got "
                                    + Validators.quote(v));
                          return v;
                        })
                    .orElse(FleetSpec.DEFAULT_PREFIX),
            null);
    Optional<java.nio.file.Path> token =
        p.get(
            () ->
                opt(n, "token_file")
                    .map(
                        t -> {
                          String v = Validators.singleLine(t);
                          if (!v.startsWith("/") || v.contains("/../") || v.endsWith("/.."))
                            throw t.error("must be an absolute path, got " + Validators.quote(v));
                          return java.nio.file.Path.of(v);
                        }),
            Optional.empty());
    p.run(n::done);
    if (group == null || prefix == null) return Optional.empty();
    return Optional.of(new FleetSpec(group, prefix, token));
  }

  private static Optional<Node> opt(Node parent, String key) {
    return Optional.ofNullable(parent.get(key));
  }
}
