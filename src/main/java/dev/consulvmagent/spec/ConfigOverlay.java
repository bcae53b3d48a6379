package dev.consulvmagent.spec;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.emitter.Emitter;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;
import org.yaml.snakeyaml.serializer.Serializer;

/**
 * A fleet overlay (issue 22): a YAML mapping pushed to a group through Consul's KV store and merged
 * over each VM's own config. Only keys that are safe to change remotely may appear ({@link
 * #ALLOWED}): versions, the app, the service (and its annotations), the DNS mode. Role, datacenter,
 * join and bind addresses, the gossip key, ACL tokens, extra_config, downloads, security and the
 * fleet block itself could cut the VM off from Consul or open it up, and are refused by name.
 *
 * <p>Merge rules are those of a JSON merge patch (RFC 7386): mappings merge key by key,
 * recursively; any other value (a list, a scalar) replaces; {@code null} removes the key (e.g.
 * {@code app: null} removes the application). The merge works on the YAML node tree, so scalars
 * keep their exact text ({@code 1.10} stays {@code 1.10}).
 */
public final class ConfigOverlay {
  /** KV values are at most 512 KB in Consul; an overlay is far smaller. */
  public static final int MAX_BYTES = 256 * 1024;

  /**
   * What an overlay may set: a top-level key with the sub-keys it may carry ("*" = any, the whole
   * subtree: the loader validates it like any config).
   */
  public static final Map<String, Set<String>> ALLOWED =
      Map.of(
          "consul", Set.of("version", "sha256"),
          "envoy", Set.of("version", "sha256"),
          "app", Set.of("*"),
          "service", Set.of("*"),
          "dns", Set.of("mode"));

  private ConfigOverlay() {}

  /**
   * Parses and checks an overlay: a mapping of allowed keys only. Every problem at once. An empty
   * overlay (nothing, or only comments) is null: it changes nothing.
   */
  public static Node check(byte[] overlay) {
    if (overlay.length > MAX_BYTES)
      throw new SpecException("overlay", "is larger than " + MAX_BYTES / 1024 + " KiB");
    Node root;
    try {
      root = SpecLoader.compose(overlay);
    } catch (SpecException e) {
      if (e.problems().size() == 1 && e.detail().equals("the config is empty")) return null;
      throw prefixed(e);
    }
    if (!root.isMapping() && !root.isNull())
      throw new SpecException("overlay", root.line(), "must be a mapping (e.g. app: {...})");
    List<SpecException> problems = new ArrayList<>();
    if (root.isMapping()) {
      for (String key : root.keys()) {
        Set<String> sub = ALLOWED.get(key);
        Node value = root.get(key);
        String at = "overlay." + key;
        if (sub == null) {
          problems.add(new SpecException(at, root.keyLine(key), refusal()));
          continue;
        }
        if (key.equals("app") && value != null && value.isMapping()) {
          Node skip = value.get("insecure_skip_checksum");
          if (skip != null)
            problems.add(
                new SpecException(
                    at + ".insecure_skip_checksum",
                    value.keyLine("insecure_skip_checksum"),
                    "may not be set by a fleet overlay: a remote change never turns off download"
                        + " verification (give app.sha256 or app.checksums_url)"));
        }
        if (sub.contains("*")) continue; // null removes app / service; a mapping is checked later
        if (value == null) {
          problems.add(new SpecException(at, root.keyLine(key), "cannot be removed remotely"));
          continue;
        }
        if (!value.isMapping()) {
          problems.add(
              new SpecException(
                  at, value.line(), "must be a mapping of " + String.join(", ", sorted(sub))));
          continue;
        }
        for (String k : value.keys()) {
          if (!sub.contains(k))
            problems.add(new SpecException(at + "." + k, value.keyLine(k), refusal()));
          else if (value.get(k) == null)
            problems.add(
                new SpecException(at + "." + k, value.keyLine(k), "cannot be removed remotely"));
        }
      }
    }
    if (!problems.isEmpty()) throw SpecException.of(problems);
    return root;
  }

  private static String refusal() {
    return "may not be changed by a fleet overlay (allowed: consul.version, consul.sha256,"
        + " envoy.version, envoy.sha256, app, service, dns.mode)";
  }

  private static List<String> sorted(Set<String> s) {
    return s.stream().sorted().toList();
  }

  private static SpecException prefixed(SpecException e) {
    List<SpecException> out = new ArrayList<>();
    for (SpecException p : e.problems())
      out.add(
          new SpecException(
              p.path().isEmpty() ? "overlay" : "overlay." + p.path(), p.line(), p.detail()));
    return SpecException.of(out);
  }

  /** The VM's config text with the overlay merged over it (YAML text, for the loader). */
  public static byte[] merge(byte[] base, byte[] overlay) {
    Node over = check(overlay);
    if (over == null || over.isNull()) return base;
    Node b = SpecLoader.compose(base);
    org.yaml.snakeyaml.nodes.Node merged = merge(b.yaml(), over.yaml());
    return dump(merged).getBytes(StandardCharsets.UTF_8);
  }

  /** The merged config, validated strictly as any config is. */
  public static AgentSpec apply(byte[] base, byte[] overlay) {
    byte[] merged = merge(base, overlay);
    Node over = check(overlay);
    boolean newUrl =
        over != null
            && over.isMapping()
            && over.get("app") != null
            && over.get("app").isMapping()
            && over.get("app").get("url") != null;
    try {
      AgentSpec spec = new SpecLoader().parse(merged);
      if (newUrl && spec.app().isPresent() && spec.app().get().insecureSkipChecksum())
        throw new SpecException(
            "overlay.app.url",
            "this VM's config skips the app's checksum (app.insecure_skip_checksum); a remote"
                + " change of app.url must bring app.sha256 or app.checksums_url (and remove"
                + " insecure_skip_checksum with null)");
      return spec;
    } catch (SpecException e) {
      List<SpecException> out = new ArrayList<>();
      // lines of the merged text mean nothing to the operator: name the key only
      for (SpecException p : e.problems())
        out.add(new SpecException(p.path(), "(with the overlay merged) " + p.detail()));
      throw SpecException.of(out);
    }
  }

  private static org.yaml.snakeyaml.nodes.Node merge(
      org.yaml.snakeyaml.nodes.Node base, org.yaml.snakeyaml.nodes.Node over) {
    if (!(base instanceof MappingNode bm) || !(over instanceof MappingNode om)) return over;
    List<NodeTuple> out = new ArrayList<>();
    for (NodeTuple t : bm.getValue()) {
      String key = ((ScalarNode) t.getKeyNode()).getValue();
      NodeTuple o = find(om, key);
      if (o == null) out.add(t);
      else if (!isNull(o.getValueNode()))
        out.add(new NodeTuple(t.getKeyNode(), merge(t.getValueNode(), o.getValueNode())));
      // else: null removes the key
    }
    for (NodeTuple o : om.getValue()) {
      String key = ((ScalarNode) o.getKeyNode()).getValue();
      if (find(bm, key) == null && !isNull(o.getValueNode())) out.add(o);
    }
    return new MappingNode(Tag.MAP, out, DumperOptions.FlowStyle.BLOCK);
  }

  private static boolean isNull(org.yaml.snakeyaml.nodes.Node n) {
    return n instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
  }

  private static NodeTuple find(MappingNode m, String key) {
    for (NodeTuple t : m.getValue())
      if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) return t;
    return null;
  }

  private static String dump(org.yaml.snakeyaml.nodes.Node n) {
    DumperOptions o = new DumperOptions();
    o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    o.setWidth(Integer.MAX_VALUE);
    o.setSplitLines(false);
    StringWriter w = new StringWriter();
    Serializer s = new Serializer(new Emitter(w, o), new Resolver(), o, null);
    try {
      s.open();
      s.serialize(n);
      s.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return w.toString();
  }
}
