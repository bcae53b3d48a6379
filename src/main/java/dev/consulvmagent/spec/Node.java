package dev.consulvmagent.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A read-only view of one YAML node with its key path and line, so every validation error names
 * both. Mappings are read strictly: {@link #done()} rejects keys nobody asked for.
 */
public final class Node {
  private static final Pattern INT = Pattern.compile("[-+]?[0-9]+");

  private final String path;
  private final org.yaml.snakeyaml.nodes.Node yaml;
  private final Set<String> consumed = new LinkedHashSet<>();

  Node(String path, org.yaml.snakeyaml.nodes.Node yaml) {
    this.path = path;
    this.yaml = yaml;
  }

  public String path() {
    return path;
  }

  public int line() {
    return yaml == null ? -1 : yaml.getStartMark().getLine() + 1;
  }

  public SpecException error(String message) {
    return new SpecException(path, line(), message);
  }

  private String child(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  public boolean isMapping() {
    return yaml instanceof MappingNode;
  }

  public boolean isSequence() {
    return yaml instanceof SequenceNode;
  }

  public boolean isNull() {
    return yaml == null || (yaml instanceof ScalarNode s && s.getTag().equals(Tag.NULL));
  }

  private MappingNode mapping() {
    if (!(yaml instanceof MappingNode m)) {
      throw error("expected a mapping of keys, got " + kind());
    }
    return m;
  }

  private String kind() {
    if (yaml instanceof MappingNode) return "a mapping";
    if (yaml instanceof SequenceNode) return "a list";
    if (isNull()) return "nothing";
    return "the scalar '" + abbreviate(((ScalarNode) yaml).getValue()) + "'";
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "…" : s;
  }

  /** Keys of this mapping in document order. */
  public List<String> keys() {
    List<String> keys = new ArrayList<>();
    for (NodeTuple t : mapping().getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode k)) {
        throw error("keys must be plain strings");
      }
      keys.add(k.getValue());
    }
    return keys;
  }

  /** The child at key, or null when absent. Marks the key as read. */
  public Node get(String key) {
    consumed.add(key);
    for (NodeTuple t : mapping().getValue()) {
      if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
        Node n = new Node(child(key), t.getValueNode());
        return n.isNull() ? null : n;
      }
    }
    return null;
  }

  public Node require(String key) {
    Node n = get(key);
    if (n == null) {
      throw new SpecException(child(key), line(), "is required");
    }
    return n;
  }

  /** Rejects keys of this mapping that were never read. */
  public void done() {
    for (String k : keys()) {
      if (!consumed.contains(k)) {
        Node n = new Node(child(k), null);
        for (NodeTuple t : mapping().getValue()) {
          if (t.getKeyNode() instanceof ScalarNode s && s.getValue().equals(k)) {
            throw new SpecException(child(k), t.getKeyNode().getStartMark().getLine() + 1,
                "unknown key (allowed here: " + String.join(", ", consumed) + ")");
          }
        }
        throw n.error("unknown key");
      }
    }
  }

  public List<Node> list() {
    if (!(yaml instanceof SequenceNode s)) {
      throw error("expected a list, got " + kind());
    }
    List<Node> out = new ArrayList<>();
    int i = 0;
    for (org.yaml.snakeyaml.nodes.Node n : s.getValue()) {
      out.add(new Node(path + "[" + i++ + "]", n));
    }
    return out;
  }

  /** A scalar as text (numbers and booleans are accepted and turned into their text). */
  public String text() {
    if (!(yaml instanceof ScalarNode s) || isNull()) {
      throw error("expected a string, got " + kind());
    }
    return s.getValue();
  }

  /** A scalar that YAML typed as a string (quoted or plain text), not a number or boolean. */
  public String string() {
    String v = text();
    Tag tag = ((ScalarNode) yaml).getTag();
    if (!tag.equals(Tag.STR)) {
      throw error("expected a string, got " + tag.getClassName() + " '" + abbreviate(v) + "' (quote it)");
    }
    return v;
  }

  public long integer() {
    String v = text();
    Tag tag = ((ScalarNode) yaml).getTag();
    if (!(tag.equals(Tag.INT) || (tag.equals(Tag.STR) && INT.matcher(v).matches()))) {
      throw error("expected a whole number, got '" + abbreviate(v) + "'");
    }
    try {
      return Long.parseLong(v.replace("+", ""));
    } catch (NumberFormatException e) {
      throw error("number out of range: " + abbreviate(v));
    }
  }

  public int port() {
    long p = integer();
    if (p < 1 || p > 65535) {
      throw error("port must be between 1 and 65535, got " + p);
    }
    return (int) p;
  }

  public boolean bool() {
    String v = text();
    Tag tag = ((ScalarNode) yaml).getTag();
    if (tag.equals(Tag.BOOL)) {
      return switch (v.toLowerCase()) {
        case "true", "yes", "on", "y" -> true;
        default -> false;
      };
    }
    throw error("expected true or false, got '" + abbreviate(v) + "'");
  }

  public List<String> strings() {
    List<String> out = new ArrayList<>();
    for (Node n : list()) {
      out.add(n.text());
    }
    return out;
  }

  /** A mapping of string to scalar text, in document order. */
  public Map<String, String> stringMap() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String k : keys()) {
      out.put(k, get(k).text());
    }
    return out;
  }

  /** Plain Java value (Map/List/String/Long/Double/Boolean) for pass-through settings. */
  public Object plain() {
    if (isNull()) return null;
    if (yaml instanceof MappingNode) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (String k : keys()) {
        Node c = get(k);
        out.put(k, c == null ? null : c.plain());
      }
      return out;
    }
    if (yaml instanceof SequenceNode) {
      List<Object> out = new ArrayList<>();
      for (Node n : list()) out.add(n.plain());
      return out;
    }
    ScalarNode s = (ScalarNode) yaml;
    Tag tag = s.getTag();
    if (tag.equals(Tag.INT)) return integer();
    if (tag.equals(Tag.BOOL)) return bool();
    if (tag.equals(Tag.FLOAT)) return Double.parseDouble(s.getValue());
    return s.getValue();
  }
}
