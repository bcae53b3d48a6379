package dev.consulvmagent.spec;

import dev.consulvmagent.sidecar.ServiceConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads the agent config (YAML) into an {@link AgentSpec}. Safe loading only: the document is
 * composed into nodes and never constructed into objects, any non-standard tag is rejected,
 * unknown keys are rejected, and every error names its key path and line.
 */
public final class SpecLoader {
  public static final int MAX_BYTES = 1024 * 1024;
  public static final String DEFAULT_CONSUL_VERSION = "1.16.6";
  public static final String DEFAULT_ENVOY_VERSION = "1.26.8";
  private static final Set<Tag> PLAIN_TAGS =
      Set.of(Tag.STR, Tag.INT, Tag.BOOL, Tag.NULL, Tag.FLOAT, Tag.MAP, Tag.SEQ);

  public AgentSpec load(Path file) {
    byte[] bytes;
    try {
      if (Files.size(file) > MAX_BYTES) {
        throw new SpecException("", "file " + file + " is larger than 1 MiB; this is not an agent config");
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new SpecException("", "config file " + file + " does not exist (use --config FILE or --user-data FILE)");
    } catch (IOException e) {
      throw new SpecException("", "cannot read " + file + ": " + e.getMessage());
    }
    return parse(bytes);
  }

  public AgentSpec parse(byte[] bytes) {
    return fromNode(compose(bytes));
  }

  /** Composes YAML text into a checked node tree (used for user-data too). */
  public static Node compose(byte[] bytes) {
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
      root = new Composer(new ParserImpl(new StreamReader(text), options), new Resolver(), options).getSingleNode();
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() == null ? -1 : e.getProblemMark().getLine() + 1;
      throw new SpecException("", line, "YAML syntax error: " + e.getProblem());
    } catch (YAMLException e) {
      throw new SpecException("", "YAML error: " + e.getMessage());
    }
    if (root == null) {
      throw new SpecException("", "the config is empty");
    }
    checkTags(root, "");
    return new Node("", root);
  }

  private static String decodeUtf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new SpecException("", "input is not UTF-8 text");
    }
  }

  private static void checkTags(org.yaml.snakeyaml.nodes.Node n, String path) {
    if (!PLAIN_TAGS.contains(n.getTag())) {
      throw new SpecException(path, n.getStartMark().getLine() + 1,
          "YAML tag " + n.getTag().getValue() + " is not allowed (only plain values, lists and mappings)");
    }
    if (n instanceof MappingNode m) {
      for (NodeTuple t : m.getValue()) {
        checkTags(t.getKeyNode(), path);
        String key = t.getKeyNode() instanceof org.yaml.snakeyaml.nodes.ScalarNode s ? s.getValue() : "?";
        checkTags(t.getValueNode(), path.isEmpty() ? key : path + "." + key);
      }
    } else if (n instanceof SequenceNode s) {
      int i = 0;
      for (org.yaml.snakeyaml.nodes.Node c : s.getValue()) {
        checkTags(c, path + "[" + i++ + "]");
      }
    }
  }

  AgentSpec fromNode(Node root) {
    if (!root.isMapping()) {
      throw root.error("the config must be a mapping with keys consul, envoy, app, service, dns, downloads");
    }
    Node consulNode = root.get("consul");
    ConsulSpec consul = consul(consulNode);
    EnvoySpec envoy = envoy(root.get("envoy"));
    Optional<AppSpec> app = Optional.ofNullable(root.get("app")).map(this::app);
    Node serviceNode = root.get("service");
    Optional<ServiceConfig> service =
        Optional.ofNullable(serviceNode).map(n -> ServiceConfig.fromNode(n));
    DnsSpec dns = dns(root.get("dns"));
    DownloadsSpec downloads = downloads(root.get("downloads"));
    root.done();
    AgentSpec spec = new AgentSpec(consul, envoy, app, service, dns, downloads);
    ConsulVersions.check(spec); // what the configured Consul lacks: exit 3 naming consul.version
    if (!envoy.ignoreCompatibility()) {
      EnvoyCompatibility.check(consul.version(), envoy.version())
          .ifPresent(msg -> {
            throw new SpecException("envoy.version", msg + " (set envoy.ignore_compatibility: true to override)");
          });
    }
    return spec;
  }

  private ConsulSpec consul(Node n) {
    if (n == null) {
      throw new SpecException("consul", "is required (at least: consul: {role: client, retry_join: [...]})");
    }
    String version = opt(n, "version").map(Validators::version).orElse(DEFAULT_CONSUL_VERSION);
    ConsulSpec.Role role = opt(n, "role")
        .map(r -> switch (r.text()) {
          case "server" -> ConsulSpec.Role.SERVER;
          case "client" -> ConsulSpec.Role.CLIENT;
          default -> throw r.error("must be 'server' or 'client', got '" + r.text() + "'");
        })
        .orElse(ConsulSpec.Role.CLIENT);
    String dc = opt(n, "datacenter").map(d -> {
      String v = d.text();
      if (!v.matches("[a-z0-9_-]{1,64}")) throw d.error("'" + v + "' is not a valid datacenter name (lower-case letters, digits, '-', '_')");
      return v;
    }).orElse("dc1");
    Optional<String> nodeName = opt(n, "node_name").map(x -> {
      String v = x.text();
      if (!v.matches("[A-Za-z0-9][A-Za-z0-9-]{0,62}")) throw x.error("'" + v + "' is not a valid node name");
      return v;
    });
    Optional<String> bind = opt(n, "bind_addr").map(Validators::ip);
    Optional<String> advertise = opt(n, "advertise_addr").map(Validators::ip);
    String client = opt(n, "client_addr").map(Validators::ip).orElse("127.0.0.1");
    List<String> join = opt(n, "retry_join").map(j -> j.list().stream().map(Validators::joinAddress).toList()).orElse(List.of());
    int expect = opt(n, "bootstrap_expect").map(b -> {
      long v = b.integer();
      if (v < 1 || v > 9) throw b.error("must be between 1 and 9, got " + v);
      return (int) v;
    }).orElse(role == ConsulSpec.Role.SERVER ? 1 : 0);
    if (role == ConsulSpec.Role.CLIENT && n.get("bootstrap_expect") != null) {
      throw n.get("bootstrap_expect").error("is only valid for role: server");
    }
    boolean ui = opt(n, "ui").map(Node::bool).orElse(role == ConsulSpec.Role.SERVER);
    Optional<Secret> encrypt = opt(n, "encrypt").map(e -> {
      String v = e.text();
      if (!v.matches("[A-Za-z0-9+/]{22,}={0,2}")) throw e.error("is not a base64 gossip key (consul keygen)");
      return new Secret(v);
    });
    Optional<Secret> token = opt(n, "acl_token").map(t -> {
      String v = t.text();
      if (!v.matches("[A-Za-z0-9-]{8,128}")) throw t.error("is not a valid ACL token");
      return new Secret(v);
    });
    Optional<String> sha = opt(n, "sha256").map(Validators::sha256);
    Map<String, Object> extra = new LinkedHashMap<>();
    Node extraNode = n.get("extra_config");
    if (extraNode != null) {
      if (!extraNode.isMapping()) throw extraNode.error("expected a mapping of Consul agent settings");
      @SuppressWarnings("unchecked")
      Map<String, Object> m = (Map<String, Object>) extraNode.plain();
      for (String reserved : List.of("encrypt", "acl", "data_dir")) {
        if (m.containsKey(reserved)) {
          throw new SpecException("consul.extra_config." + reserved, extraNode.line(),
              "is managed by the agent; use " + (reserved.equals("acl") ? "consul.acl_token" : reserved.equals("encrypt") ? "consul.encrypt" : "the default") + " instead");
        }
      }
      extra.putAll(m);
    }
    n.done();
    if (role == ConsulSpec.Role.CLIENT && join.isEmpty()) {
      throw new SpecException("consul.retry_join", n.line(), "a client needs at least one server address to join");
    }
    return new ConsulSpec(version, role, dc, nodeName, bind, advertise, client, join, expect, ui, encrypt, token, sha, extra);
  }

  private EnvoySpec envoy(Node n) {
    if (n == null) {
      return new EnvoySpec(DEFAULT_ENVOY_VERSION, Optional.empty(), 19000, false);
    }
    String version = opt(n, "version").map(Validators::version).orElse(DEFAULT_ENVOY_VERSION);
    Optional<String> sha = opt(n, "sha256").map(Validators::sha256);
    int admin = opt(n, "admin_port").map(Node::port).orElse(19000);
    boolean ignore = opt(n, "ignore_compatibility").map(Node::bool).orElse(false);
    n.done();
    return new EnvoySpec(version, sha, admin, ignore);
  }

  private AppSpec app(Node n) {
    String name = Validators.serviceName(n.require("name"));
    String url = Validators.httpUrl(n.require("url"));
    Optional<String> sha = opt(n, "sha256").map(Validators::sha256);
    Optional<String> sums = opt(n, "checksums_url").map(Validators::httpUrl);
    if (sha.isEmpty() && sums.isEmpty()) {
      throw new SpecException("app.sha256", n.line(), "is required (or app.checksums_url): downloads are always verified");
    }
    String binary = opt(n, "binary").map(Validators::fileName).orElse(name);
    Optional<String> entry = opt(n, "archive_entry").map(Validators::fileName);
    List<String> args = opt(n, "args").map(Node::strings).orElse(List.of());
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).contains("\n") || args.get(i).contains("\0")) {
        throw new SpecException("app.args[" + i + "]", n.line(), "must not contain newlines");
      }
    }
    Map<String, String> env = new LinkedHashMap<>();
    Node envNode = n.get("environment");
    if (envNode != null) {
      for (Map.Entry<String, String> e : envNode.stringMap().entrySet()) {
        if (!e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*")) {
          throw new SpecException("app.environment." + e.getKey(), envNode.line(), "is not a valid environment variable name");
        }
        if (e.getValue().contains("\n")) {
          throw new SpecException("app.environment." + e.getKey(), envNode.line(), "must not contain newlines");
        }
        env.put(e.getKey(), e.getValue());
      }
    }
    Optional<Integer> port = opt(n, "port").map(Node::port);
    n.done();
    return new AppSpec(name, url, sha, sums, binary, entry, args, env, port);
  }

  private DnsSpec dns(Node n) {
    if (n == null) return new DnsSpec(DnsSpec.Mode.AUTO);
    DnsSpec.Mode mode = opt(n, "mode").map(m -> switch (m.text()) {
      case "auto" -> DnsSpec.Mode.AUTO;
      case "resolved" -> DnsSpec.Mode.RESOLVED;
      case "iptables" -> DnsSpec.Mode.IPTABLES;
      case "none" -> DnsSpec.Mode.NONE;
      default -> throw m.error("must be one of auto, resolved, iptables, none; got '" + m.text() + "'");
    }).orElse(DnsSpec.Mode.AUTO);
    n.done();
    return new DnsSpec(mode);
  }

  private DownloadsSpec downloads(Node n) {
    if (n == null) return new DownloadsSpec(Optional.empty(), Optional.empty(), true);
    Optional<String> mirror = opt(n, "mirror").map(m -> m.text().startsWith("/") || m.text().startsWith("file:/") ? m.text() : Validators.httpUrl(m));
    Optional<String> arch = opt(n, "arch").map(a -> switch (a.text()) {
      case "amd64", "arm64" -> a.text();
      default -> throw a.error("must be amd64 or arm64, got '" + a.text() + "'");
    });
    boolean verify = opt(n, "verify_signatures").map(Node::bool).orElse(true);
    n.done();
    return new DownloadsSpec(mirror, arch, verify);
  }

  private static Optional<Node> opt(Node parent, String key) {
    return Optional.ofNullable(parent.get(key));
  }
}
