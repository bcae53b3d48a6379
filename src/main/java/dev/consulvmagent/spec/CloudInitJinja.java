package dev.consulvmagent.spec;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.fn.Functions;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.util.HasObjectTruthValue;
import java.io.IOException;
import java.lang.reflect.Method;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A `## template: jinja` user-data part rendered as cloud-init renders it (22.4.2
 * cloudinit/handlers/jinja_template.py: render_jinja_payload_from_file, render_jinja_payload,
 * convert_jinja_instance_data; cloudinit/templater.py: detect_template, jinja_render,
 * UndefinedJinjaVariable), with Jinjava in place of Python's Jinja2. Where Jinjava would render a
 * construct differently from Jinja2 (a boolean or None as text, a list's repr, most filters and
 * tests, functions, tags Jinja2 has not), the part is refused (exit 3) naming the construct: the
 * agent never takes a config cloud-init would not write. Bounded: output, string length, range(),
 * nodes rendered, macro recursion, the instance data's size and depth.
 */
final class CloudInitJinja {
  private CloudInitJinja() {}

  /** templater.py MISSING_JINJA_PREFIX: what an undefined variable renders as. */
  static final String MISSING = "CI_MISSING_JINJA_VAR/";

  static final long MAX_OUTPUT = UserData.MAX_BYTES;
  static final int MAX_RANGE = 100_000;
  static final long MAX_STEPS = 5_000_000;
  static final int MAX_MACRO_DEPTH = 20;

  /** JSON tokens in the instance data (a real one has a few hundred). */
  static final int MAX_VALUES = 200_000;

  /** templater.py TYPE_MATCHER, on the part's first line. */
  private static final Pattern TYPE_MATCHER =
      Pattern.compile("##\\s*template:(.*)", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

  /** jinja2.lexer operator_re (Jinja2 3.1.2): what get_jinja_variable_alias replaces with '_'. */
  private static final Pattern OPERATOR =
      Pattern.compile(
          "(//|\\*\\*|==|!=|>=|<=|\\+|-|/|\\*|%|~|\\[|\\]|\\(|\\)|\\{|\\}|>|<|=|\\.|:|\\||,|;)");

  private static final Pattern VERSION_KEY = Pattern.compile("v\\d+\\n?");

  /** Tags Jinja2 (with cloud-init's jinja2.ext.do) has and Jinjava renders alike. */
  private static final Set<String> TAGS =
      Set.of(
          "if",
          "elif",
          "else",
          "endif",
          "for",
          "endfor",
          "set",
          "endset",
          "macro",
          "endmacro",
          "call",
          "endcall",
          "raw",
          "endraw",
          "do");

  /** Filters taken on plain strings and numbers only (Jinjava and Jinja2 agree there). */
  private static final Set<String> STRING_FILTERS = Set.of("lower", "upper", "replace", "string");

  /**
   * Renders the part's text with the instance data: the rendered text (the header line gone), or
   * null where cloud-init renders nothing (it then ignores the part).
   */
  static String render(String payload, String where, InstanceData data) {
    // detect_template: the first line names the renderer
    int nl = payload.indexOf('\n');
    String ident = nl < 0 ? payload : payload.substring(0, nl);
    String rest = nl < 0 ? "" : payload.substring(nl + 1);
    Matcher m = TYPE_MATCHER.matcher(ident);
    if (!m.matches() || !m.group(1).strip().toLowerCase(Locale.ROOT).equals("jinja")) {
      // render_jinja_payload_from_file raises NotJinjaError: cloud-init ignores the part
      throw new SpecException(
          where, "has type text/jinja2 but does not start with '## template: jinja'");
    }
    Map<String, Object> vars = variables(data, where);
    // jinja_render: Jinja2 (keep_trailing_newline off) normalises \r\n and \r to \n and drops
    // one final newline; cloud-init adds "\n" back when the content ended with one
    String source = String.join("\n", rest.split("\r\n|\r|\n", -1));
    if (source.endsWith("\n")) source = source.substring(0, source.length() - 1);
    for (String ws : new String[] {"{{-", "-}}", "{#-", "-#}"}) {
      // Jinjava strips whitespace for {%- -%} as Jinja2 does, not for these
      if (source.contains(ws)) {
        throw refuse(where, "whitespace control '" + ws + "' (only {%- and -%} render alike)");
      }
    }
    source = strictTags(source, where);
    String out = jinjava(source, vars, where);
    if (rest.endsWith("\n")) out = out + "\n";
    // render_jinja_payload_from_file: "if not rendered_payload: return None"
    return out.isEmpty() ? null : out;
  }

  private static final Pattern TAG = Pattern.compile("\\{%(-?)(.*?)(-?)%\\}", Pattern.DOTALL);
  private static final Pattern FOR =
      Pattern.compile(
          "([A-Za-z_][A-Za-z_0-9]*(?:\\s*,\\s*[A-Za-z_][A-Za-z_0-9]*)*)\\s+in\\s+(.+)",
          Pattern.DOTALL);
  private static final Pattern FOR_EXTRAS = Pattern.compile("\\b(if|recursive)\\b");
  private static final Pattern EXPR = Pattern.compile("\\{\\{(.*?)\\}\\}", Pattern.DOTALL);
  private static final Pattern TAG_NAME = Pattern.compile("\\s*([A-Za-z_]+)(.*)", Pattern.DOTALL);
  private static final Pattern NONE = Pattern.compile("\\b(none|None)\\b");

  /** Tags that take nothing after their name (Jinja2: "expected end of statement"). */
  private static final Set<String> BARE_TAGS =
      Set.of("else", "endif", "endfor", "endset", "endmacro", "endcall", "raw", "endraw");

  /**
   * Jinjava reads tags leniently where Jinja2 raises a syntax error (cloud-init then ignores the
   * part): `{% else /%}`, `{% )endfor %}`, `{% endif{{ x }} %}` render there. Each tag must be one
   * Jinja2 has, spelled as Jinja2 reads it; and `none` is refused in an expression (Jinjava's null
   * is not the instance data's None).
   */
  private static String strictTags(String source, String where) {
    StringBuilder out = new StringBuilder();
    Matcher t = TAG.matcher(source);
    int from = 0;
    int copied = 0;
    while (t.find(from)) {
      from = t.end();
      Matcher n = TAG_NAME.matcher(t.group(2));
      String name = n.matches() ? n.group(1) : "";
      String rest = n.matches() ? n.group(2).strip() : t.group(2);
      if (!TAGS.contains(name)) {
        throw refuse(where, "a tag Jinja2 reads differently or not at all ('{%" + name + "')");
      }
      if (BARE_TAGS.contains(name) && !rest.isEmpty()) {
        throw refuse(where, "'{% " + name + "' followed by more than its name");
      }
      if (rest.contains("{{") || rest.contains("{%") || rest.contains("{#") || !balanced(rest)) {
        throw refuse(where, "'{% " + name + "' with brackets Jinja2 would not parse");
      }
      if (!headOk(name, rest)) {
        throw refuse(where, "'{% " + name + "' spelled other than Jinja2 reads it");
      }
      if (NONE.matcher(rest).find()) throw refuse(where, "'none' in a condition");
      if (booleanSubscript(rest)) throw refuse(where, "a subscript by a boolean");
      names(rest, macros(source), where);
      if (name.equals("for")) {
        // Jinja2 iterates a string's characters, nothing for an undefined name, and fails on
        // anything else that is not iterable; Jinjava takes those as one item: checked by iter()
        Matcher f = FOR.matcher(rest);
        if (!f.matches() || FOR_EXTRAS.matcher(f.group(2)).find()) {
          throw refuse(where, "a for loop other than 'for NAME[, NAME] in EXPRESSION'");
        }
        out.append(source, copied, t.start())
            .append("{%")
            .append(t.group(1))
            .append(" for ")
            .append(f.group(1))
            .append(" in ")
            .append(ITER)
            .append("(")
            .append(f.group(2))
            .append(") ")
            .append(t.group(3))
            .append("%}");
        copied = t.end();
      }
      if (name.equals("raw")) {
        int end = source.indexOf("endraw", from);
        if (end < 0) throw refuse(where, "'{% raw' without '{% endraw %}'");
        from = Math.max(from, source.lastIndexOf("{%", end)); // always forward
      }
    }
    out.append(source, copied, source.length());
    Matcher e = EXPR.matcher(source);
    while (e.find()) {
      // Jinja2 reads "{%" in a string literal as text; the tag pass above would rewrite it
      if (e.group(1).contains("{%") || e.group(1).contains("{{") || e.group(1).contains("{#"))
        throw refuse(where, "template markers inside an expression");
      if (NONE.matcher(e.group(1)).find()) throw refuse(where, "'none' in an expression");
      if (booleanSubscript(e.group(1))) throw refuse(where, "a subscript by a boolean");
      if (!balanced(e.group(1))) throw refuse(where, "an expression with unbalanced brackets");
      names(e.group(1), macros(source), where);
    }
    return out.toString();
  }

  private static final Pattern BOOLEAN =
      Pattern.compile("\\b(?:is|not|and|or|in|true|false|True|False)\\b|[=!<>]");

  /**
   * Whether a subscript may be a boolean: ds.meta_data[x is defined] is undefined there, and Jinja2
   * names it CI_MISSING_JINJA_VAR/True where Jinjava, which looks it up by "true", prints true.
   */
  static boolean booleanSubscript(String expr) {
    String bare = STRING_LITERAL.matcher(expr).replaceAll("''");
    for (int i = bare.indexOf('['); i >= 0; i = bare.indexOf('[', i + 1)) {
      int depth = 0;
      int j = i;
      for (; j < bare.length(); j++) {
        if (bare.charAt(j) == '[') depth++;
        else if (bare.charAt(j) == ']' && --depth == 0) break;
      }
      if (BOOLEAN.matcher(bare.substring(i + 1, Math.min(j, bare.length()))).find()) return true;
    }
    return false;
  }

  private static final Pattern STRING_LITERAL =
      Pattern.compile("'(?:[^'\\\\]|\\\\.)*'|\"(?:[^\"\\\\]|\\\\.)*\"", Pattern.DOTALL);
  private static final Pattern FILTER_USE = Pattern.compile("\\|(\\s*)([A-Za-z_][A-Za-z_0-9]*)?");
  private static final Pattern ARITHMETIC = Pattern.compile("[-+*/%]");
  private static final Pattern TEST_USE =
      Pattern.compile("\\bis\\s+(?:not\\s+)?([A-Za-z_][A-Za-z_0-9]*)?");
  private static final Pattern CALL =
      Pattern.compile("([.|]\\s*)?\\b([A-Za-z_][A-Za-z_0-9]*)\\s*\\(");

  /**
   * A call of whatever a subscript, a parenthesis or a literal yields ({@code x['upper']()}, {@code
   * (x)()}, {@code ''()}): CALL sees only a name before "(", and Jinjava's expression language runs
   * such a call as a Java method call (String.repeat included: unbounded memory and time outside
   * the step limit), where Jinja2 fails on most of them. String literals are masked to {@code ''}
   * first, so a quote here is the end of one.
   */
  private static final Pattern CALL_ON_VALUE = Pattern.compile("[\\])'\"}]\\s*\\(");

  private static final Pattern MACRO =
      Pattern.compile("\\{%-?\\s*macro\\s+([A-Za-z_][A-Za-z_0-9]*)");
  private static final Set<String> FILTERS =
      Set.of(
          "default", "d", "lower", "upper", "replace", "string", "join", "first", "last", "length",
          "count");

  private static Set<String> macros(String source) {
    Set<String> m = new HashSet<>(Set.of("range", ITER, "caller"));
    Matcher x = MACRO.matcher(source);
    while (x.find()) m.add(x.group(1));
    return m;
  }

  /**
   * Filters, tests and functions by name: Jinja2 fails on a name it does not know (cloud-init then
   * ignores the part) where Jinjava goes on, and the others render differently.
   */
  private static void names(String expr, Set<String> functions, String where) {
    String code = STRING_LITERAL.matcher(expr).replaceAll("''");
    Matcher f = FILTER_USE.matcher(code);
    while (f.find()) {
      if (f.group(2) == null || !FILTERS.contains(f.group(2))) {
        throw refuse(
            where,
            "the filter '"
                + (f.group(2) == null ? "|" : f.group(2))
                + "' (not one the agent renders as Jinja2 does)");
      }
    }
    if (ARITHMETIC.matcher(code).find()) {
      // Jinjava computes where Jinja2 fails (-'text', 'a' * 'b') or prints other numbers (4 / 2)
      throw refuse(where, "arithmetic (+ - * / %)");
    }
    Matcher t = TEST_USE.matcher(code);
    while (t.find()) {
      if (!"defined".equals(t.group(1)) && !"undefined".equals(t.group(1))) {
        throw refuse(where, "the test 'is " + t.group(1) + "'");
      }
    }
    if (CALL_ON_VALUE.matcher(code).find()) {
      throw refuse(where, "a call of a subscript or an expression's value (not a named function)");
    }
    Matcher c = CALL.matcher(code);
    while (c.find()) {
      String name = c.group(2);
      if (c.group(1) != null && c.group(1).startsWith("|")) continue; // a filter: above
      boolean method = c.group(1) != null;
      if (method ? !Set.of("items", "keys", "values").contains(name) : !functions.contains(name)) {
        throw refuse(
            where, "a call of '" + name + "()' (not one the agent renders as Jinja2 does)");
      }
    }
  }

  private static final Pattern SET_HEAD =
      Pattern.compile(
          "[A-Za-z_][A-Za-z_0-9]*(?:\\s*,\\s*[A-Za-z_][A-Za-z_0-9]*)*(?:\\s*=(.+))?",
          Pattern.DOTALL);
  private static final Pattern MACRO_HEAD =
      Pattern.compile("[A-Za-z_][A-Za-z_0-9]*\\s*\\(.*\\)", Pattern.DOTALL);

  /** The statement after a tag's name, as Jinja2's parser takes it (roughly, never laxer). */
  private static boolean headOk(String name, String rest) {
    return switch (name) {
      case "set" -> {
        Matcher m = SET_HEAD.matcher(rest);
        yield m.matches() && (m.group(1) == null || !m.group(1).isBlank());
      }
      case "macro" -> MACRO_HEAD.matcher(rest).matches();
      case "if", "elif", "do", "call", "for" -> !rest.isBlank();
      default -> true;
    };
  }

  /** Brackets paired outside string literals (Jinjava reads some unpaired ones Jinja2 does not). */
  static boolean balanced(String s) {
    StringBuilder open = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\'' || c == '"') {
        int j = i + 1;
        while (j < s.length() && s.charAt(j) != c) j += s.charAt(j) == '\\' ? 2 : 1;
        if (j >= s.length()) return false;
        i = j;
      } else if (c == '(' || c == '[' || c == '{') {
        open.append(c);
      } else if (c == ')' || c == ']' || c == '}') {
        if (open.length() == 0) return false;
        char o = open.charAt(open.length() - 1);
        if (o != (c == ')' ? '(' : c == ']' ? '[' : '{')) return false;
        open.setLength(open.length() - 1);
      }
    }
    return open.length() == 0;
  }

  /** The function every for loop's iterable goes through (a name no template uses). */
  private static final String ITER = "cva_iter__";

  static Object iter(Object o) {
    if (o instanceof Undefined) return List.of();
    if (o instanceof Map<?, ?> || o instanceof Collection<?>) return o;
    if (o instanceof String || o instanceof SafeString) {
      List<String> chars = new ArrayList<>();
      o.toString().codePoints().forEach(c -> chars.add(new String(Character.toChars(c))));
      return chars;
    }
    throw new Unsupported("a for loop over something that is not a list, a mapping or a string");
  }

  // --- the instance data: json.loads, then convert_jinja_instance_data ---

  static Map<String, Object> variables(InstanceData data, String where) {
    JsonNode root;
    try {
      JsonMapper json =
          JsonMapper.builder()
              .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS) // Python's json takes NaN
              .build();
      // count first, streaming: a tree of millions of tiny values would not fit the heap
      long values = 0;
      try (JsonParser in = json.createParser(data.json())) {
        while (in.nextToken() != null) {
          if (++values > MAX_VALUES) {
            throw new SpecException(
                where,
                "is a Jinja template and "
                    + data.file()
                    + " has more than "
                    + MAX_VALUES
                    + " JSON values; this is not instance data");
          }
        }
      }
      root = json.readTree(data.json());
    } catch (IOException e) {
      // never e.getMessage(): it quotes the token, and the sensitive file holds secrets
      JsonLocation at = e instanceof JacksonException j ? j.getLocation() : null;
      throw new SpecException(
          where,
          "is a Jinja template and "
              + data.file()
              + " is not JSON"
              + (at == null
                  ? ""
                  : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")")
              + ": cloud-init cannot render it either");
    }
    if (root == null || !root.isObject()) {
      throw new SpecException(
          where, "is a Jinja template and " + data.file() + " is not a JSON object");
    }
    List<String> decode = new ArrayList<>();
    JsonNode keys = root.get("base64-encoded-keys");
    if (keys != null && keys.isArray()) {
      for (JsonNode k : keys) decode.add(k.asText().replace('-', '_'));
    } else if (keys != null) {
      throw new SpecException(
          where,
          "is a Jinja template and "
              + data.file()
              + " has a base64-encoded-keys that is not a list");
    }
    return convert(root, "", decode, where, data.file());
  }

  /** convert_jinja_instance_data(data, prefix, sep="/", decode_paths, include_key_aliases=True). */
  private static Dict convert(
      JsonNode obj, String prefix, List<String> decode, String where, String file) {
    List<String> names = new ArrayList<>();
    obj.fieldNames().forEachRemaining(names::add);
    names.sort(CloudInitJinja::pythonOrder); // sorted(data.items())
    Dict result = new Dict();
    for (String key : names) {
      String keyPath = prefix.isEmpty() ? key : prefix + "/" + key;
      JsonNode node = obj.get(key);
      Object value;
      if (decode.contains(keyPath)) {
        value = b64d(node, where, file, keyPath);
      } else if (node.isObject()) {
        Dict sub = convert(node, keyPath, decode, where, file);
        value = sub;
        result.put(key, sub);
        if (VERSION_KEY.matcher(key).matches()) { // re.match(r"v\d+$", key)
          for (Map.Entry<String, Object> e : sub.entrySet()) result.put(e.getKey(), e.getValue());
        }
      } else {
        value = plain(node);
      }
      result.put(key, value);
      String alias = OPERATOR.matcher(key).replaceAll("_"); // get_jinja_variable_alias
      if (!alias.equals(key)) result.put(alias, result.get(key));
    }
    return result;
  }

  /** util.b64d: the decoded text, or bytes where it is not UTF-8. */
  private static Object b64d(JsonNode node, String where, String file, String keyPath) {
    if (!node.isTextual()) {
      throw new SpecException(
          where,
          "is a Jinja template and "
              + file
              + " lists "
              + keyPath
              + " as base64 but it is not a string");
    }
    byte[] raw;
    try {
      raw = Base64.getMimeDecoder().decode(node.textValue());
    } catch (IllegalArgumentException e) {
      throw new SpecException(
          where, "is a Jinja template and " + file + "'s " + keyPath + " is not base64");
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw))
          .toString();
    } catch (CharacterCodingException e) {
      return new PyBytes();
    }
  }

  private static Object plain(JsonNode n) {
    if (n.isObject()) throw new IllegalStateException("an object here");
    if (n.isTextual()) return n.textValue();
    if (n.isBoolean()) return n.booleanValue();
    if (n.isNull()) return PyNone.NONE;
    if (n.isIntegralNumber()) {
      BigInteger b = n.bigIntegerValue();
      return b.bitLength() < 64 ? (Object) b.longValue() : b;
    }
    if (n.isNumber()) return n.doubleValue();
    if (n.isArray()) {
      List<Object> l = new ArrayList<>();
      for (JsonNode x : n) l.add(x.isObject() ? convertPlainObject(x) : plain(x));
      return l;
    }
    throw new IllegalStateException("unknown JSON node " + n.getNodeType());
  }

  /** An object inside a list: convert_jinja_instance_data does not descend into lists. */
  private static Dict convertPlainObject(JsonNode obj) {
    Dict d = new Dict();
    obj.fields()
        .forEachRemaining(
            e ->
                d.put(
                    e.getKey(),
                    e.getValue().isObject()
                        ? convertPlainObject(e.getValue())
                        : plain(e.getValue())));
    return d;
  }

  /** Python's str ordering: by code point. */
  private static int pythonOrder(String a, String b) {
    Iterator<Integer> x = a.codePoints().iterator();
    Iterator<Integer> y = b.codePoints().iterator();
    while (x.hasNext() && y.hasNext()) {
      int c = Integer.compare(x.next(), y.next());
      if (c != 0) return c;
    }
    return Boolean.compare(x.hasNext(), y.hasNext());
  }

  // --- rendering ---

  private static String jinjava(String source, Map<String, Object> vars, String where) {
    // the work bound: every node rendered and every value an expression yields count one step,
    // a list or mapping as many as a loop over it can take (Jinjava has no loop budget)
    long[] steps = {0};
    Runnable step =
        () -> {
          if (++steps[0] > MAX_STEPS) {
            throw new Unsupported(
                "takes more than " + MAX_STEPS + " steps to render (a loop without end?)");
          }
        };
    JinjavaConfig cfg =
        JinjavaConfig.newBuilder()
            .withTrimBlocks(true) // jinja_render: trim_blocks=True (lstrip_blocks off)
            .withLstripBlocks(false)
            .withMaxOutputSize(MAX_OUTPUT)
            .withMaxStringLength(MAX_OUTPUT)
            .withMaxListSize(MAX_RANGE)
            .withMaxMapSize(MAX_RANGE)
            .withRangeLimit(MAX_RANGE)
            .withEnableRecursiveMacroCalls(true)
            .withMaxMacroRecursionDepth(MAX_MACRO_DEPTH)
            .withFailOnUnknownTokens(false)
            .withNestedInterpretationEnabled(false)
            .withNodePreProcessor((node, interp) -> step.run())
            .withObjectUnwrapper(
                o -> {
                  step.run();
                  int n =
                      o instanceof Collection<?> c
                          ? c.size()
                          : o instanceof Map<?, ?> m ? m.size() : 0;
                  steps[0] += n;
                  return o;
                })
            .withInterperterFactory(new Factory())
            .withLegacyOverrides(
                LegacyOverrides.newBuilder()
                    .withUsePyishObjectMapper(true)
                    .withIterateOverMapKeys(true) // Jinja2 iterates a dict's keys
                    .build())
            .withDisabled(disabled())
            .build();
    Jinjava j = new Jinjava(cfg);
    Context g = j.getGlobalContext();
    for (Filter f : new ArrayList<>(g.getAllFilters())) g.registerFilter(new CheckedFilter(f));
    for (ExpTest t : new ArrayList<>(g.getAllExpTests())) g.registerExpTest(new CheckedTest(t));
    g.registerFunction(RANGE);
    g.registerFunction(ITER_FN);
    g.setDynamicVariableResolver(Undefined::new); // a name not in the data: UndefinedJinjaVariable
    RenderResult r;
    String[] first = new String[1];
    FIRST.set(first);
    try {
      r = j.renderForResult(source, vars);
    } catch (Unsupported e) {
      throw refuse(where, first[0] != null ? first[0] : e.getMessage());
    } catch (RuntimeException | StackOverflowError e) {
      throw refuse(
          where,
          first[0] != null
              ? first[0]
              : "the template cannot be rendered (" + e.getClass().getSimpleName() + ")");
    } finally {
      FIRST.remove();
    }
    if (first[0] != null) throw refuse(where, first[0]);
    for (TemplateError e : r.getErrors()) throw refuse(where, describe(e));
    return r.getOutput();
  }

  /**
   * The first construct refused in this render: Jinjava catches what a filter throws, goes on with
   * null, and the refusal that ends the render would name the null rather than the filter.
   */
  private static final ThreadLocal<String[]> FIRST = new ThreadLocal<>();

  private static SpecException refuse(String where, String why) {
    return new SpecException(
        where,
        "is a Jinja template (## template: jinja) the agent does not render as cloud-init does: "
            + why
            + "; simplify the template, or on the instance pass --user-data"
            + " /var/lib/cloud/instance/cloud-config.txt (the merged cloud-config cloud-init"
            + " wrote)");
  }

  /** A Jinjava error without the data's values: the construct and the template's line. */
  private static String describe(TemplateError e) {
    String msg = e.getMessage() == null ? "" : e.getMessage();
    Throwable t = e.getException();
    while (t != null) {
      if (t instanceof Unsupported u) return u.getMessage();
      t = t.getCause();
    }
    int at = msg.indexOf(Unsupported.MARK);
    if (at >= 0) {
      String s = msg.substring(at + Unsupported.MARK.length());
      int end = s.indexOf(Unsupported.END);
      return end >= 0 ? s.substring(0, end) : s;
    }
    String line = e.getLineno() > 0 ? " at line " + (e.getLineno() + 1) + " of the part" : "";
    // syntax errors quote the template (the user-data), never the instance data
    boolean quote =
        e.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR
            || e.getReason() == TemplateError.ErrorReason.UNKNOWN
            || e.getReason() == TemplateError.ErrorReason.DISABLED;
    return "Jinja "
        + e.getReason().name().toLowerCase(Locale.ROOT).replace('_', ' ')
        + line
        + (quote && !msg.isEmpty() ? " (" + msg + ")" : "");
  }

  private static Map<Context.Library, Set<String>> disabled() {
    Jinjava plain = new Jinjava();
    Set<String> tags = new HashSet<>();
    for (Tag t : plain.getGlobalContext().getAllTags()) {
      if (!TAGS.contains(t.getName())) tags.add(t.getName());
      if (t.getEndTagName() != null && !TAGS.contains(t.getEndTagName()))
        tags.add(t.getEndTagName());
    }
    Set<String> fns = new HashSet<>();
    for (ELFunctionDefinition f : plain.getGlobalContext().getAllFunctions()) {
      if (!f.getLocalName().equals("range")) fns.add(f.getName());
    }
    Map<Context.Library, Set<String>> m = new HashMap<>();
    m.put(Context.Library.TAG, tags);
    m.put(Context.Library.FUNCTION, fns);
    return m;
  }

  // --- range(): Jinjava silently stops at its range limit, Jinja2 does not ---

  private static final ELFunctionDefinition RANGE = rangeFunction();
  private static final ELFunctionDefinition ITER_FN = iterFunction();

  private static ELFunctionDefinition iterFunction() {
    try {
      Method m = CloudInitJinja.class.getDeclaredMethod("iter", Object.class);
      m.setAccessible(true);
      return new ELFunctionDefinition("", ITER, m);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ELFunctionDefinition rangeFunction() {
    try {
      Method m = CloudInitJinja.class.getDeclaredMethod("range", Object.class, Object[].class);
      m.setAccessible(true);
      return new ELFunctionDefinition("", "range", m);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<Integer> range(Object a, Object... rest) {
    long start = 0;
    long stop;
    long step = 1;
    try {
      if (rest == null || rest.length == 0) {
        stop = number(a);
      } else {
        start = number(a);
        stop = number(rest[0]);
        if (rest.length > 1) step = number(rest[1]);
      }
    } catch (RuntimeException e) {
      throw new Unsupported("range() of something that is not an integer");
    }
    if (step == 0) throw new Unsupported("range() with a step of 0");
    long n = step > 0 ? (stop - start + step - 1) / step : (start - stop - step - 1) / -step;
    if (n > MAX_RANGE) throw new Unsupported("range() over more than " + MAX_RANGE + " numbers");
    return Functions.range(a, rest);
  }

  private static long number(Object o) {
    if (o instanceof Long || o instanceof Integer || o instanceof Short)
      return ((Number) o).longValue();
    if (o instanceof BigInteger b) return b.longValueExact();
    throw new IllegalArgumentException();
  }

  // --- values as Python prints them ---

  /** str(value) as jinja_render's output would have it, or Unsupported. */
  static String py(Object o) {
    if (o instanceof String || o instanceof SafeString) return o.toString();
    if (o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof BigInteger)
      return o.toString();
    if (o instanceof Boolean b) return b ? "True" : "False";
    if (o instanceof PyNone) return "None";
    if (o instanceof Undefined u) return MISSING + u.name;
    if (o instanceof Double d) {
      if (d.isNaN()) return "nan";
      if (d.isInfinite()) return d > 0 ? "inf" : "-inf";
      String s = d.toString();
      if (!s.contains("E")) return s; // 1e-3 <= |d| < 1e7: Python's repr is the same
      throw new Unsupported("renders a float in exponent notation");
    }
    if (o == null) {
      throw new Unsupported(
          "an expression Jinjava and Jinja2 evaluate differently (an attribute of an undefined"
              + " variable, a method call or an operator on missing values)");
    }
    if (o instanceof Map<?, ?> || o instanceof Iterable<?>) {
      throw new Unsupported("renders a mapping or a list as text (Python's repr)");
    }
    if (o instanceof PyBytes)
      throw new Unsupported("renders base64-decoded bytes that are not UTF-8");
    throw new Unsupported("renders a " + o.getClass().getSimpleName() + " as text");
  }

  /** Jinjava prints expressions through getAsString: Python's str() instead. */
  private static final class Interp extends JinjavaInterpreter {
    Interp(Jinjava j, Context c, JinjavaConfig cfg) {
      super(j, c, cfg);
    }

    Interp(JinjavaInterpreter orig) {
      super(orig);
    }

    @Override
    public String getAsString(Object o) {
      return py(o);
    }
  }

  private static final class Factory implements InterpreterFactory {
    @Override
    public JinjavaInterpreter newInstance(JinjavaInterpreter orig) {
      return new Interp(orig);
    }

    @Override
    public JinjavaInterpreter newInstance(Jinjava j, Context c, JinjavaConfig cfg) {
      return new Interp(j, c, cfg);
    }
  }

  /** A refusal raised inside Jinjava (it may wrap it; the markers find it in the message). */
  static final class Unsupported extends RuntimeException {
    static final String MARK = "[agent: ";
    static final String END = " :agent]";

    Unsupported(String why) {
      super(MARK + why + END);
      String[] first = FIRST.get();
      if (first != null && first[0] == null) first[0] = why;
    }

    @Override
    public String getMessage() {
      String s = super.getMessage();
      return s.substring(MARK.length(), s.length() - END.length());
    }

    @Override
    public String toString() {
      return super.getMessage();
    }
  }

  /** templater.py UndefinedJinjaVariable: prints as CI_MISSING_JINJA_VAR/name, false. */
  static final class Undefined implements HasObjectTruthValue {
    final String name;

    Undefined(String name) {
      this.name = name;
    }

    @Override
    public boolean getObjectTruthValue() {
      return false;
    }

    @Override
    public String toString() {
      return MISSING + name;
    }
  }

  /** A dict of the instance data: a missing key is undefined, not null (Jinja2's getattr). */
  static final class Dict extends LinkedHashMap<String, Object> {
    @Override
    public Object get(Object key) {
      Object v = super.get(key);
      return v != null || containsKey(key) ? v : new Undefined(String.valueOf(key));
    }
  }

  /** JSON null: Python's None (false, prints "None"). */
  static final class PyNone implements HasObjectTruthValue {
    static final PyNone NONE = new PyNone();

    @Override
    public boolean getObjectTruthValue() {
      return false;
    }

    @Override
    public String toString() {
      return "None";
    }
  }

  /** b64d's bytes (not UTF-8): Python prints b'...'; refused when printed. */
  static final class PyBytes implements HasObjectTruthValue {
    @Override
    public boolean getObjectTruthValue() {
      return true;
    }
  }

  private static boolean plainScalar(Object o) {
    return o instanceof String
        || o instanceof SafeString
        || o instanceof Long
        || o instanceof Integer
        || o instanceof BigInteger;
  }

  /** Filters Jinja2 has with the same result on the values they are given here; others refused. */
  private record CheckedFilter(Filter f) implements Filter {
    @Override
    public String getName() {
      return f.getName();
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter in, String... args) {
      return f.filter(check(var, args), in, args);
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter in, Object[] args, Map<String, Object> kw) {
      return f.filter(check(var, args), in, args, kw);
    }

    private Object check(Object var, Object[] args) {
      String n = f.getName();
      switch (n) {
        case "default", "d" -> {
          return var instanceof Undefined ? null : var;
        }
        case "length", "count" -> {
          if (var instanceof Undefined) return null;
          if (var instanceof PyNone || var instanceof Boolean || var instanceof Number)
            throw new Unsupported("the filter '" + n + "' on a value without a length");
          return var;
        }
        case "join", "first", "last" -> {
          if (var instanceof SafeString) var = var.toString();
          if (!(var instanceof List<?> || var instanceof String)) {
            throw new Unsupported(
                "the filter '" + n + "' on something that is not a list or a string");
          }
          if (n.equals("join") && var instanceof List<?> l) {
            for (Object x : l) {
              if (!plainScalar(x))
                throw new Unsupported(
                    "the filter 'join' on a list of other than strings and integers");
            }
          }
          argsPlain(n, args);
          // Jinja2 takes a string as its characters here (Jinjava as one item)
          return var instanceof String ? iter(var) : var;
        }
        default -> {
          if (!STRING_FILTERS.contains(n)) {
            throw new Unsupported(
                "the filter '" + n + "' (not one the agent renders as Jinja2 does)");
          }
          if (!plainScalar(var)) {
            throw new Unsupported("the filter '" + n + "' on other than a string or an integer");
          }
          argsPlain(n, args);
          return var;
        }
      }
    }

    private static void argsPlain(String n, Object[] args) {
      if (args == null) return;
      for (Object a : args) {
        if (!plainScalar(a))
          throw new Unsupported("the filter '" + n + "' with a non-string argument");
      }
    }
  }

  /** `is defined` and `is undefined` (Jinja2's, for Undefined); other tests refused. */
  private record CheckedTest(ExpTest t) implements ExpTest {
    @Override
    public String getName() {
      return t.getName();
    }

    @Override
    public boolean evaluate(Object var, JinjavaInterpreter in, Object... args) {
      return switch (t.getName()) {
        case "defined" -> !(var instanceof Undefined) && var != null;
        case "undefined" -> var instanceof Undefined || var == null;
        default -> throw new Unsupported("the test 'is " + t.getName() + "'");
      };
    }

    @Override
    public boolean evaluateNegated(Object var, JinjavaInterpreter in, Object... args) {
      return !evaluate(var, in, args);
    }
  }
}
