package dev.consulvmagent.spec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * cloud-init's cloud-config part handler (cloudinit/handlers/cloud_config.py) and its mergers
 * (cloudinit/mergers/__init__.py, m_dict.py, m_list.py, m_str.py), 22.4.2 to 26.2 alike: each part
 * says how it merges into everything before it; the default is dict(replace)+list()+str(). A part
 * cloud-init skips with a warning (bad YAML, an unknown merger, a failing JSON patch) is {@link
 * Skip} here and leaves the merged config as it was.
 */
final class CloudInitMerge {
  private CloudInitMerge() {}

  /** Where cloud-init logs "Failed at merging in cloud config part" and goes on. */
  static final class Skip extends Exception {
    Skip(String m) {
      super(m, null, false, false);
    }
  }

  /** One merger: m_dict, m_list or m_str with its options (a list, or a string: Python's in). */
  record Merger(String name, Object opts) {
    boolean has(String o) throws Skip {
      if (opts instanceof String s) return s.contains(o);
      if (opts instanceof Collection<?> c) return c.contains(o);
      if (opts instanceof Map<?, ?> m) return m.containsKey(o);
      throw new Skip("merger settings are not a list");
    }

    /** The first of MERGE_TYPES present in the options, else the module's default. */
    String method(List<String> types, String dflt) throws Skip {
      for (String t : types) if (has(t)) return t;
      return dflt;
    }
  }

  static final List<Merger> DEFAULT =
      List.of(
          new Merger("dict", List.of("replace")),
          new Merger("list", List.of()),
          new Merger("str", List.of()));

  private static final Pattern NAME = Pattern.compile("(^[a-zA-Z_][A-Za-z0-9_]*)\\((.*?)\\)$");

  /** mergers.string_extract_mergers ("list(append)+dict(no_replace,recurse_list)+str()"). */
  static List<Merger> fromString(String how) throws Skip {
    List<Merger> out = new ArrayList<>();
    for (String m : how.split("\\+", -1)) {
      m = m.toLowerCase(Locale.ROOT).strip().replace("-", "_");
      if (m.isEmpty()) continue;
      Matcher x = NAME.matcher(m);
      if (!x.matches()) throw new Skip("Matcher identifer '" + m + "' is not in the right format");
      List<String> ops = new ArrayList<>();
      for (String o : x.group(2).strip().split(",", -1))
        if (!o.strip().isEmpty()) ops.add(o.strip().toLowerCase(Locale.ROOT));
      out.add(new Merger(x.group(1), ops));
    }
    return out;
  }

  /** mergers.dict_extract_mergers: pops merge_how (or, when it is None, merge_type). */
  static List<Merger> fromConfig(Map<Object, Object> config) throws Skip {
    Object raw = config.remove("merge_how");
    if (raw == null) raw = config.remove("merge_type");
    if (raw == null) return List.of();
    if (raw instanceof String s) return fromString(s);
    List<Merger> out = new ArrayList<>();
    for (Object m : iterate(raw)) {
      String name;
      Object opts;
      if (m instanceof Map<?, ?> d) {
        if (!d.containsKey("name") || !d.containsKey("settings"))
          throw new Skip("merge_how entry without name or settings");
        if (!(d.get("name") instanceof String n)) throw new Skip("merge_how name is not a string");
        name = n.replace("-", "_").strip();
        opts = d.get("settings");
      } else {
        List<Object> seq = iterate(m);
        if (seq.isEmpty()) throw new Skip("empty merge_how entry");
        if (!(seq.get(0) instanceof String n)) throw new Skip("merge_how name is not a string");
        name = n;
        opts = seq.subList(1, seq.size());
      }
      if (!name.isEmpty()) out.add(new Merger(name, opts));
    }
    return out;
  }

  /** Python iteration over what YAML gives: a list, a set, a string's characters, map keys. */
  private static List<Object> iterate(Object o) throws Skip {
    if (o instanceof Collection<?> c) return new ArrayList<>(c);
    if (o instanceof Map<?, ?> m) return new ArrayList<>(m.keySet());
    if (o instanceof String s) {
      List<Object> out = new ArrayList<>();
      s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
      return out;
    }
    if (o instanceof byte[] b) {
      List<Object> out = new ArrayList<>();
      for (byte x : b) out.add((int) x & 0xff);
      return out;
    }
    throw new Skip("not iterable");
  }

  /** mergers.construct: only m_dict, m_list and m_str exist. */
  static List<Merger> construct(List<Merger> parsed) throws Skip {
    List<Merger> out = new ArrayList<>();
    for (Merger m : parsed) {
      String n = m.name().startsWith("m_") ? m.name().substring(2) : m.name();
      if (!List.of("dict", "list", "str").contains(n))
        throw new Skip("Could not find merger module named 'm_" + n + "'");
      out.add(new Merger(n, m.opts()));
    }
    return out;
  }

  /** LookupMerger.merge: the first merger that handles the old value's type, else the old value. */
  static Object merge(Object old, Object neu, List<Merger> ms) throws Skip {
    String want =
        old instanceof Map<?, ?>
            ? "dict"
            : old instanceof List<?> ? "list" : old instanceof String ? "str" : null;
    if (want == null) return old;
    for (Merger m : ms) {
      if (!m.name().equals(want)) continue;
      return switch (want) {
        case "dict" -> onDict(cast(old), neu, m, ms);
        case "list" -> onList((List<?>) old, neu, m, ms);
        default -> onStr((String) old, neu, m);
      };
    }
    return old;
  }

  @SuppressWarnings("unchecked")
  private static Map<Object, Object> cast(Object o) {
    return (Map<Object, Object>) o;
  }

  private static Object onDict(Map<Object, Object> value, Object neu, Merger m, List<Merger> ms)
      throws Skip {
    if (!(neu instanceof Map<?, ?> with)) return value;
    boolean replace = m.method(List.of("replace", "no_replace"), "no_replace").equals("replace");
    boolean recurseStr = m.has("recurse_str");
    boolean recurseArray = m.has("recurse_array") || m.has("recurse_list");
    boolean allowDelete = m.has("allow_delete");
    Map<Object, Object> out = new LinkedHashMap<>(value);
    for (Map.Entry<?, ?> e : with.entrySet()) {
      Object k = e.getKey();
      Object v = e.getValue();
      if (out.containsKey(k)) {
        if (v == null && allowDelete) {
          out.remove(k);
        } else {
          Object o = out.get(k);
          Object merged;
          if (replace) merged = v;
          else if (v instanceof List<?> && recurseArray) merged = merge(o, v, ms);
          else if (v instanceof String && recurseStr) merged = merge(o, v, ms);
          else if (v instanceof Map<?, ?>) merged = merge(o, v, ms);
          else merged = o;
          out.put(k, merged);
        }
      } else {
        out.put(k, v);
      }
    }
    return out;
  }

  private static Object onList(List<?> value, Object neu, Merger m, List<Merger> ms) throws Skip {
    String method = m.method(List.of("append", "prepend", "replace", "no_replace"), "replace");
    if (method.equals("replace") && !(neu instanceof List<?>)) return neu;
    List<Object> with = iterate(neu);
    List<Object> out = new ArrayList<>();
    if (method.equals("prepend")) {
      out.addAll(with);
      out.addAll(value);
      return out;
    }
    if (method.equals("append")) {
      out.addAll(value);
      out.addAll(with);
      return out;
    }
    if (neu instanceof Map<?, ?>) throw new Skip("list merged with a mapping by index");
    boolean recurseStr = m.has("recurse_str");
    boolean recurseDict = m.has("recurse_dict");
    boolean recurseArray = m.has("recurse_array") || m.has("recurse_list");
    out.addAll(value);
    for (int i = 0; i < Math.min(out.size(), with.size()); i++) {
      Object o = out.get(i);
      Object v = with.get(i);
      if (method.equals("no_replace")) continue;
      if (v instanceof List<?> && recurseArray) out.set(i, merge(o, v, ms));
      else if (v instanceof String && recurseStr) out.set(i, merge(o, v, ms));
      else if (v instanceof Map<?, ?> && recurseDict) out.set(i, merge(o, v, ms));
      else out.set(i, v);
    }
    return out;
  }

  private static Object onStr(String value, Object neu, Merger m) throws Skip {
    if (!m.has("append")) return neu;
    if (!(neu instanceof String s)) throw new Skip("can only concatenate str to str");
    return value + s;
  }

  /** CloudConfigPartHandler._merge_part: YAML mergers first, then the header's, else DEFAULT. */
  static Map<Object, Object> mergePart(
      Map<Object, Object> buf,
      Object payload,
      Map<String, String> headers,
      String where,
      UserData.Budget budget)
      throws Skip {
    String header = "";
    for (String h : List.of("Merge-Type", "X-Merge-Type")) {
      String v = headers.getOrDefault(h, "");
      if (!v.isEmpty()) {
        header = v;
        break;
      }
    }
    Object loaded = CloudInitYaml.load(payload, where, budget);
    if (!(loaded instanceof Map<?, ?>)) throw new Skip("empty cloud config");
    Map<Object, Object> part = cast(loaded);
    List<Merger> all = new ArrayList<>(fromConfig(part));
    all.addAll(fromString(header));
    if (all.isEmpty()) all = DEFAULT;
    Object merged = merge(buf, part, construct(all));
    return merged instanceof Map<?, ?> ? cast(merged) : buf;
  }

  // ---- #cloud-config-jsonp: an RFC 6902 JSON patch (python-jsonpatch, as cloud-init uses) ----

  static final int MAX_PATCH_NODES = 200_000;

  /** CloudConfigPartHandler._merge_patch: a JSON patch applied to a copy of the merged config. */
  static Object patch(Object buf, String payload, String where) throws Skip {
    String p = PythonCodecs.lstrip(payload);
    if (p.startsWith("#cloud-config-jsonp")) p = p.substring("#cloud-config-jsonp".length());
    Object ops;
    try {
      ops = pythonJson(p, where);
    } catch (IOException e) {
      throw new Skip("not JSON");
    }
    if (!(ops instanceof List<?> list)) throw new Skip("a JSON patch is a list of operations");
    Object doc = deepCopy(buf);
    int[] nodes = {0};
    for (Object op : list) {
      if (!(op instanceof Map<?, ?> o) || !(o.get("op") instanceof String name))
        throw new Skip("invalid operation");
      if (!(o.get("path") instanceof String path)) throw new Skip("operation without a path");
      switch (name) {
        case "add" -> {
          if (!o.containsKey("value")) throw new Skip("add without value");
          doc = add(doc, path, o.get("value"));
        }
        case "remove" -> doc = remove(doc, path);
        case "replace" -> {
          if (!o.containsKey("value")) throw new Skip("replace without value");
          doc = replace(doc, path, o.get("value"));
        }
        case "move" -> {
          if (!(o.get("from") instanceof String from)) throw new Skip("move without from");
          if (path.startsWith(from + "/")) throw new Skip("cannot move into a child");
          Object v = get(doc, from);
          doc = add(remove(doc, from), path, v);
        }
        case "copy" -> {
          if (!(o.get("from") instanceof String from)) throw new Skip("copy without from");
          Object v = deepCopy(get(doc, from));
          nodes[0] += count(v);
          if (nodes[0] > MAX_PATCH_NODES)
            throw new SpecException(
                where, "its JSON patch copies more than " + MAX_PATCH_NODES + " values");
          doc = add(doc, path, v);
        }
        case "test" -> {
          if (!o.containsKey("value")) throw new Skip("test without value");
          if (!Objects.equals(get(doc, path), o.get("value"))) throw new Skip("test failed");
        }
        default -> throw new Skip("unknown operation " + name);
      }
    }
    return doc;
  }

  /** Deeper JSON the agent refuses: Python's limit is its recursion limit, less its stack. */
  static final int MAX_JSON_DEPTH = 400;

  /**
   * jsonpatch.JsonPatch.from_string as cloud-init calls it: json.loads with object_pairs_hook=
   * multidict (python-jsonpatch 1.32, jsonpatch.py l. 95-111), so a key given more than once maps
   * to the list of its values; nothing but whitespace after the value (json.loads: "Extra data");
   * an integer of more than 4300 digits is a ValueError (CPython >= 3.11 int_max_str_digits).
   */
  static Object pythonJson(String text, String where) throws IOException {
    JsonFactory f =
        JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_JSON_DEPTH + 1)
                    .maxNumberLength(Integer.MAX_VALUE)
                    .build())
            .build();
    try (JsonParser p = f.createParser(text)) {
      JsonToken t = p.nextToken();
      if (t == null) throw new JsonParseException(p, "no JSON value");
      Object v = jsonValue(p, t, 0, where);
      if (p.nextToken() != null) throw new JsonParseException(p, "Extra data");
      return v;
    }
  }

  private static Object jsonValue(JsonParser p, JsonToken t, int depth, String where)
      throws IOException {
    if ((t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) && depth >= MAX_JSON_DEPTH)
      throw new SpecException(
          where,
          "its JSON patch nests deeper than "
              + MAX_JSON_DEPTH
              + " levels (Python's JSON reader gives up at a depth that depends on its stack)");
    switch (t) {
      case START_OBJECT -> {
        Map<String, List<Object>> pairs = new LinkedHashMap<>();
        for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
          String name = p.currentName();
          Object v = jsonValue(p, p.nextToken(), depth + 1, where);
          pairs.computeIfAbsent(name, x -> new ArrayList<>()).add(v);
        }
        Map<Object, Object> out = new LinkedHashMap<>();
        pairs.forEach((k, vs) -> out.put(k, vs.size() == 1 ? vs.get(0) : vs));
        return out;
      }
      case START_ARRAY -> {
        List<Object> out = new ArrayList<>();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken())
          out.add(jsonValue(p, e, depth + 1, where));
        return out;
      }
      case VALUE_STRING -> {
        return p.getText();
      }
      case VALUE_NUMBER_INT -> {
        String digits = p.getText();
        if (digits.length() - (digits.startsWith("-") ? 1 : 0) > 4300)
          throw new JsonParseException(p, "Exceeds the limit (4300 digits)");
        return p.getNumberValue();
      }
      case VALUE_NUMBER_FLOAT -> {
        return p.getDoubleValue();
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new JsonParseException(p, "unexpected " + t);
    }
  }

  private static int count(Object v) {
    if (v instanceof Map<?, ?> m) {
      int n = 1;
      for (Object x : m.values()) n += count(x);
      return n;
    }
    if (v instanceof List<?> l) {
      int n = 1;
      for (Object x : l) n += count(x);
      return n;
    }
    return 1;
  }

  private static Object deepCopy(Object v) {
    if (v instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      m.forEach((k, x) -> out.put(k, deepCopy(x)));
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (Object x : l) out.add(deepCopy(x));
      return out;
    }
    return v;
  }

  private static List<String> parts(String pointer) throws Skip {
    if (pointer.isEmpty()) return List.of();
    if (!pointer.startsWith("/")) throw new Skip("location must start with /");
    List<String> out = new ArrayList<>();
    for (String s : pointer.substring(1).split("/", -1))
      out.add(s.replace("~1", "/").replace("~0", "~"));
    return out;
  }

  private static int index(String part, int size, boolean endOk) throws Skip {
    if (endOk && part.equals("-")) return size;
    if (!part.matches("0|[1-9][0-9]{0,8}")) throw new Skip("not a list index: " + part);
    return Integer.parseInt(part);
  }

  private static Object child(Object doc, String part) throws Skip {
    if (doc instanceof Map<?, ?> m) {
      if (!m.containsKey(part)) throw new Skip("member not found: " + part);
      return m.get(part);
    }
    if (doc instanceof List<?> l) {
      int i = index(part, l.size(), false);
      if (i >= l.size()) throw new Skip("index out of range: " + part);
      return l.get(i);
    }
    throw new Skip("cannot walk into a scalar");
  }

  private static Object get(Object doc, String pointer) throws Skip {
    Object cur = doc;
    for (String p : parts(pointer)) cur = child(cur, p);
    return cur;
  }

  /** The container holding the pointer's last part, or null for the root. */
  private static Object parent(Object doc, List<String> ps) throws Skip {
    Object cur = doc;
    for (String p : ps.subList(0, ps.size() - 1)) cur = child(cur, p);
    return cur;
  }

  @SuppressWarnings("unchecked")
  private static Object add(Object doc, String pointer, Object value) throws Skip {
    List<String> ps = parts(pointer);
    if (ps.isEmpty()) return value;
    Object sub = parent(doc, ps);
    String last = ps.get(ps.size() - 1);
    if (sub instanceof List<?> l) {
      int i = index(last, l.size(), true);
      if (i > l.size()) throw new Skip("can't insert outside of list");
      ((List<Object>) l).add(i, value);
    } else if (sub instanceof Map<?, ?> m) {
      ((Map<Object, Object>) m).put(last, value);
    } else {
      throw new Skip("invalid document for add");
    }
    return doc;
  }

  @SuppressWarnings("unchecked")
  private static Object remove(Object doc, String pointer) throws Skip {
    List<String> ps = parts(pointer);
    if (ps.isEmpty()) throw new Skip("cannot remove the root");
    Object sub = parent(doc, ps);
    String last = ps.get(ps.size() - 1);
    if (sub instanceof List<?> l) {
      int i = index(last, l.size(), false);
      if (i >= l.size()) throw new Skip("can't remove a non-existent object");
      l.remove(i);
    } else if (sub instanceof Map<?, ?> m) {
      if (!m.containsKey(last)) throw new Skip("can't remove a non-existent object");
      ((Map<Object, Object>) m).remove(last);
    } else {
      throw new Skip("invalid document for remove");
    }
    return doc;
  }

  @SuppressWarnings("unchecked")
  private static Object replace(Object doc, String pointer, Object value) throws Skip {
    List<String> ps = parts(pointer);
    if (ps.isEmpty()) return value;
    Object sub = parent(doc, ps);
    String last = ps.get(ps.size() - 1);
    if (sub instanceof List<?> l) {
      int i = index(last, l.size(), false);
      if (i >= l.size()) throw new Skip("can't replace outside of list");
      ((List<Object>) l).set(i, value);
    } else if (sub instanceof Map<?, ?> m) {
      if (!m.containsKey(last)) throw new Skip("can't replace a non-existent object");
      ((Map<Object, Object>) m).put(last, value);
    } else {
      throw new Skip("invalid document for replace");
    }
    return doc;
  }
}
