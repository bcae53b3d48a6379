package dev.consulvmagent.spec;

import java.util.ArrayList;
import java.util.HashMap;
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

  /** The line of this node's key in its parent mapping (where "add it here" points), or -1. */
  private final int ownKeyLine;

  Node(String path, org.yaml.snakeyaml.nodes.Node yaml) {
    this(path, yaml, -1);
  }

  private Node(String path, org.yaml.snakeyaml.nodes.Node yaml, int ownKeyLine) {
    this.path = path;
    this.yaml = yaml;
    this.ownKeyLine = ownKeyLine;
  }

  org.yaml.snakeyaml.nodes.Node yaml() {
    return yaml;
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
    return "the scalar " + Validators.quote(((ScalarNode) yaml).getValue());
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
        Node n = new Node(child(key), t.getValueNode(), k.getStartMark().getLine() + 1);
        return n.isNull() ? null : n;
      }
    }
    return null;
  }

  public Node require(String key) {
    Node n = get(key);
    if (n == null) throw missing(key, "is required");
    return n;
  }

  /**
   * A key that is absent: the error points at where it goes, this mapping's own key line ("add it
   * under consul:, line 1"), not at whichever sibling happens to come first.
   */
  public SpecException missing(String key, String message) {
    int at = ownKeyLine > 0 ? ownKeyLine : line();
    String where = path.isEmpty() ? "at the top level" : "under " + path + ":";
    return new SpecException(child(key), at, message + " (add " + key + " " + where + ")");
  }

  /** The line of key in this mapping, or this node's line when it is absent. */
  public int keyLine(String key) {
    if (keyLines == null) {
      // built once: a caller asking for the line of every key must not cost n squared
      keyLines = new HashMap<>();
      if (yaml instanceof MappingNode m) {
        for (NodeTuple t : m.getValue()) {
          if (t.getKeyNode() instanceof ScalarNode k) {
            keyLines.putIfAbsent(k.getValue(), t.getKeyNode().getStartMark().getLine() + 1);
          }
        }
      }
    }
    return keyLines.getOrDefault(key, line());
  }

  private Map<String, Integer> keyLines;

  /** Rejects keys of this mapping that were never read: all of them, each with its line. */
  public void done() {
    List<SpecException> unknown = new ArrayList<>();
    for (NodeTuple t : mapping().getValue()) {
      String k = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : null;
      if (k == null) throw error("keys must be plain strings");
      if (!consumed.contains(k)) {
        unknown.add(
            new SpecException(
                child(k),
                t.getKeyNode().getStartMark().getLine() + 1,
                "unknown key (allowed here: " + String.join(", ", consumed) + ")"));
      }
    }
    if (!unknown.isEmpty()) throw SpecException.of(unknown);
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
      throw error(
          "expected a string, got "
              + tag.getClassName()
              + " "
              + Validators.quote(v)
              + " (quote it)");
    }
    return v;
  }

  public long integer() {
    String v = text();
    Tag tag = ((ScalarNode) yaml).getTag();
    if (!(tag.equals(Tag.INT) || (tag.equals(Tag.STR) && INT.matcher(v).matches()))) {
      throw error("expected a whole number, got " + Validators.quote(v));
    }
    try {
      return Long.parseLong(v.replace("+", ""));
    } catch (NumberFormatException e) {
      throw error("number out of range: " + Validators.quote(v));
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
    throw error("expected true or false, got " + Validators.quote(v));
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
    for (Map.Entry<String, Node> e : children().entrySet()) {
      consumed.add(e.getKey());
      if (e.getValue() == null)
        throw new SpecException(
            child(e.getKey()), keyLine(e.getKey()), "expected a string, got nothing");
      out.put(e.getKey(), e.getValue().text());
    }
    return out;
  }

  /** Children of this mapping by key, in document order (null for an empty value). */
  public Map<String, Node> children() {
    Map<String, Node> out = new LinkedHashMap<>();
    for (NodeTuple t : mapping().getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode k)) throw error("keys must be plain strings");
      Node n = new Node(child(k.getValue()), t.getValueNode());
      out.put(k.getValue(), n.isNull() ? null : n);
    }
    return out;
  }

  /** Plain Java value (Map/List/String/Long/Double/Boolean) for pass-through settings. */
  public Object plain() {
    if (isNull()) return null;
    if (yaml instanceof MappingNode) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<String, Node> e : children().entrySet()) {
        consumed.add(e.getKey());
        out.put(e.getKey(), e.getValue() == null ? null : e.getValue().plain());
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
    if (tag.equals(Tag.FLOAT)) {
      try {
        return Double.parseDouble(s.getValue().replace("_", ""));
      } catch (NumberFormatException e) {
        return s.getValue(); // .inf, .nan and other YAML spellings Java does not read
      }
    }
    return s.getValue();
  }
}
