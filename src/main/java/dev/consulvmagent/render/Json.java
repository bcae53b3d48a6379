package dev.consulvmagent.render;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Deterministic JSON: sorted keys, two-space indent, LF newlines, a final newline.
 *
 * <p>The documents the agent renders and reads are plain maps, lists, strings, numbers and
 * booleans, so they go through jackson-core's streaming generator and parser. Databind's
 * ObjectMapper (a tenth of a second to set up) is only built for the commands that walk Consul's
 * API answers as trees.
 */
public final class Json {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final DefaultPrettyPrinter PRETTY =
      new DefaultPrettyPrinter()
          .withObjectIndenter(new DefaultIndenter("  ", "\n"))
          .withArrayIndenter(new DefaultIndenter("  ", "\n"));

  private Json() {}

  private static final class Mapper {
    static final ObjectMapper INSTANCE = new ObjectMapper();
  }

  /** Databind, for building request bodies (ACL, intentions); answers are read by {@link #tree}. */
  public static ObjectMapper mapper() {
    return Mapper.INSTANCE;
  }

  public static byte[] render(Object value) {
    return (write(value, true) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** {@link #render}'s form as text, for a command to print. */
  public static String text(Object value) {
    return write(value, true) + "\n";
  }

  public static String compact(Object value) {
    return write(value, false);
  }

  private static String write(Object value, boolean pretty) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      if (pretty) g.setPrettyPrinter(new DefaultPrettyPrinter(PRETTY));
      write(g, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static void write(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof Map<?, ?> m) {
      g.writeStartObject();
      Map<String, Object> sorted = new TreeMap<>();
      m.forEach((k, x) -> sorted.put(String.valueOf(k), x));
      for (Map.Entry<String, Object> e : sorted.entrySet()) {
        g.writeFieldName(e.getKey());
        write(g, e.getValue());
      }
      g.writeEndObject();
    } else if (v instanceof Collection<?> c) {
      g.writeStartArray();
      for (Object x : c) write(g, x);
      g.writeEndArray();
    } else if (v instanceof CharSequence s) {
      g.writeString(s.toString());
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Integer
        || v instanceof Long
        || v instanceof Short
        || v instanceof Byte) {
      g.writeNumber(((Number) v).longValue());
    } else if (v instanceof BigInteger b) {
      g.writeNumber(b);
    } else if (v instanceof BigDecimal b) {
      g.writeNumber(b);
    } else if (v instanceof Double || v instanceof Float) {
      g.writeNumber(((Number) v).doubleValue());
    } else {
      throw new IllegalArgumentException("cannot render " + v.getClass().getName() + " as JSON");
    }
  }

  /** Parses a document to maps (insertion order), lists, strings, numbers, booleans and null. */
  public static Object parse(byte[] json) throws IOException {
    try (JsonParser p = FACTORY.createParser(json)) {
      if (p.nextToken() == null) throw new IOException("empty document");
      Object v = plain(node(p));
      if (p.nextToken() != null) throw new IOException("trailing content after the JSON value");
      return v;
    }
  }

  public static Object parse(String json) throws IOException {
    return parse(json.getBytes(StandardCharsets.UTF_8));
  }

  /** A document that must be an object; anything else is an IOException. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(byte[] json) throws IOException {
    if (parse(json) instanceof Map<?, ?> m) return (Map<String, Object>) m;
    throw new IOException("not a JSON object");
  }

  /**
   * A document as databind's tree, read as {@code new ObjectMapper().readTree(json)} reads it with
   * its defaults, without building the ObjectMapper (~25 ms of each boot command that reads an
   * answer from Consul: class-load timeline in a booted machine, BENCHMARKS.md): no content is a
   * MissingNode; only the first value is read (what follows it is not, as FAIL_ON_TRAILING_TOKENS
   * is off by default); an integer is an IntNode, LongNode or BigIntegerNode by its size and a
   * fraction a DoubleNode (databind's JsonNodeDeserializer for a text parser); a repeated key keeps
   * its last value. The same JsonFactory limits (nesting depth, number and string lengths) apply.
   * JsonTreeTest holds it to ObjectMapper.readTree on recorded Consul answers and random documents.
   */
  public static JsonNode tree(String json) throws IOException {
    try (JsonParser p = FACTORY.createParser(json)) {
      return tree(p);
    }
  }

  /** {@link #tree(String)} of bytes (UTF-8, or UTF-16/32 as detected, as ObjectMapper does). */
  public static JsonNode tree(byte[] json) throws IOException {
    try (JsonParser p = FACTORY.createParser(json)) {
      return tree(p);
    }
  }

  private static JsonNode tree(JsonParser p) throws IOException {
    if (p.nextToken() == null) return JsonNodeFactory.instance.missingNode();
    return node(p);
  }

  /**
   * The value at the parser's current token. Iterative, as databind's own JsonNodeDeserializer is
   * (its ContainerStack): the parser allows 1000 levels and the agent's JVMs have 512 KiB stacks.
   */
  private static JsonNode node(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t != JsonToken.START_OBJECT && t != JsonToken.START_ARRAY) return scalar(p, t);
    ContainerNode<?> root = container(t);
    Deque<ContainerNode<?>> open = new ArrayDeque<>();
    open.push(root);
    while (!open.isEmpty()) {
      JsonToken n = p.nextToken(); // the parser itself refuses an end of input inside a container
      if (n == JsonToken.END_OBJECT || n == JsonToken.END_ARRAY) {
        open.pop();
        continue;
      }
      ContainerNode<?> top = open.peek();
      String name = null;
      if (top.isObject()) { // a field name, then its value
        name = p.currentName();
        n = p.nextToken();
      }
      JsonNode v =
          n == JsonToken.START_OBJECT || n == JsonToken.START_ARRAY ? container(n) : scalar(p, n);
      if (top instanceof ObjectNode o) o.replace(name, v);
      else ((ArrayNode) top).add(v);
      if (v instanceof ContainerNode<?> c) open.push(c);
    }
    return root;
  }

  private static ContainerNode<?> container(JsonToken t) {
    return t == JsonToken.START_OBJECT
        ? JsonNodeFactory.instance.objectNode()
        : JsonNodeFactory.instance.arrayNode();
  }

  private static JsonNode scalar(JsonParser p, JsonToken t) throws IOException {
    JsonNodeFactory f = JsonNodeFactory.instance;
    switch (t) {
      case VALUE_STRING:
        return f.textNode(p.getText());
      case VALUE_NUMBER_INT:
        return switch (p.getNumberType()) {
          case INT -> f.numberNode(p.getIntValue());
          case LONG -> f.numberNode(p.getLongValue());
          default -> f.numberNode(p.getBigIntegerValue());
        };
      case VALUE_NUMBER_FLOAT:
        return f.numberNode(p.getDoubleValue());
      case VALUE_TRUE:
        return f.booleanNode(true);
      case VALUE_FALSE:
        return f.booleanNode(false);
      case VALUE_NULL:
        return f.nullNode();
      default:
        throw new IOException("unexpected " + t);
    }
  }

  /**
   * A tree as plain values, as databind's {@code convertValue(node, Map/Object)} makes them: maps
   * (insertion order) and lists, strings, booleans, null, an Integer, Long or BigInteger by size
   * and a Double (JsonTreeTest compares the two), without an ObjectMapper.
   */
  public static Object plain(JsonNode root) {
    // iterative, not recursive: the parser allows 1000 levels and the agent's JVMs have 512 KiB
    // stacks (a recursive walk overflowed at ~950 levels after the tree's own walk; review)
    if (!root.isContainerNode()) return plainScalar(root);
    Object out = emptyPlain(root);
    Deque<Map.Entry<JsonNode, Object>> todo = new ArrayDeque<>();
    todo.push(Map.entry(root, out));
    while (!todo.isEmpty()) {
      Map.Entry<JsonNode, Object> w = todo.pop();
      if (w.getKey().isObject()) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) w.getValue();
        for (Iterator<Map.Entry<String, JsonNode>> it = w.getKey().fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          m.put(e.getKey(), plainOrLater(e.getValue(), todo));
        }
      } else {
        @SuppressWarnings("unchecked")
        List<Object> l = (List<Object>) w.getValue();
        for (JsonNode x : w.getKey()) l.add(plainOrLater(x, todo));
      }
    }
    return out;
  }

  /** A scalar's value, or an empty container for a container, queued to be filled. */
  private static Object plainOrLater(JsonNode n, Deque<Map.Entry<JsonNode, Object>> todo) {
    if (!n.isContainerNode()) return plainScalar(n);
    Object c = emptyPlain(n);
    todo.push(Map.entry(n, c));
    return c;
  }

  private static Object emptyPlain(JsonNode n) {
    return n.isObject() ? new LinkedHashMap<String, Object>() : new ArrayList<Object>();
  }

  private static Object plainScalar(JsonNode n) {
    if (n.isTextual()) return n.textValue();
    if (n.isBoolean()) return n.booleanValue();
    if (n.isIntegralNumber()) {
      BigInteger b = n.bigIntegerValue();
      if (b.bitLength() < 32) return b.intValue();
      if (b.bitLength() < 64) return b.longValue();
      return b;
    }
    if (n.isNumber()) return n.doubleValue();
    if (n.isNull() || n.isMissingNode()) return null;
    throw new IllegalArgumentException("not a JSON value: " + n.getNodeType());
  }

  /** Flattens a JSON document to path → compact value, for field-by-field plans. */
  public static Map<String, String> flatten(byte[] json) {
    Map<String, String> out = new LinkedHashMap<>();
    try {
      flatten("", parse(json), out);
    } catch (IOException e) {
      out.put("(unparsable)", "true");
    }
    return out;
  }

  private static void flatten(String prefix, Object v, Map<String, String> out) {
    if (v instanceof Map<?, ?> m && !m.isEmpty()) {
      List<String> keys = m.keySet().stream().map(String::valueOf).sorted().toList();
      for (String k : keys) flatten(prefix.isEmpty() ? k : prefix + "." + k, m.get(k), out);
    } else {
      out.put(prefix, compact(v));
    }
  }

  private static final Pattern SECRET_WORD =
      Pattern.compile(
          "token|secret|passw|private_key|api_key|apikey|credential|license|headers"
              + "|authorization");

  /**
   * True when a segment of a flattened path reads like a secret: extra_config passes any Consul key
   * through, and some hold one (auto_config.intro_token, telemetry.circonus_api_token,
   * http_config.response_headers Authorization, cloud.client_secret). Redacting a harmless field
   * too costs only a diff line; printing a token is the leak.
   */
  public static boolean looksSecret(String path) {
    return SECRET_WORD.matcher(path.toLowerCase(Locale.ROOT)).find();
  }

  /** True when the flattened path names a secret (gossip key, tokens). */
  public static boolean isSecretPath(String path, Set<String> secretLeaves) {
    for (String s : secretLeaves) if (path.equals(s) || path.endsWith("." + s)) return true;
    return false;
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
