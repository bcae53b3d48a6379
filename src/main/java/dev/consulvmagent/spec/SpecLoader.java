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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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

  static final Duration READ_DEADLINE = Duration.ofSeconds(20);

  /**
   * Opens and reads at most limit bytes in a daemon thread: a file swapped for a FIFO after the
   * check above would block open(2) until a writer came (not interruptible), and a FIFO that got a
   * writer could block read(2). The agent gives up after {@link #READ_DEADLINE}; the stuck thread
   * ends with the process.
   */
  static byte[] readWithDeadline(Path file, int limit, Duration deadline) throws IOException {
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
        ServiceSection.read(new Node("service-config", root.yaml()), p, Optional.empty());
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
    ConsulSpec consul = ConsulSection.read(root.get("consul"), p, baseImage);
    EnvoySpec envoy = EnvoySection.read(root.get("envoy"), p);
    Optional<AppSpec> app =
        Optional.ofNullable(root.get("app")).flatMap(n -> AppSection.read(n, p));
    Optional<ServiceConfig> service =
        Optional.ofNullable(root.get("service"))
            .flatMap(n -> ServiceSection.read(n, p, app.flatMap(AppSpec::port)));
    DnsSpec dns = DnsSection.read(root.get("dns"), p);
    DownloadsSpec downloads = DownloadsSection.read(root.get("downloads"), p);
    Optional<FleetSpec> fleet =
        Optional.ofNullable(root.get("fleet")).flatMap(n -> FleetSection.read(n, p));
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

  /** Whether n is a mapping; if not, says so ("expected a mapping of WHAT"). */
  static boolean mapping(Node n, Problems p, String what) {
    if (n.isMapping()) return true;
    p.add(n.error("expected a mapping of " + what));
    return false;
  }

  /** The child at key, if given. */
  static Optional<Node> opt(Node parent, String key) {
    return Optional.ofNullable(parent.get(key));
  }
}
