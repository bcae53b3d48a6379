package dev.consulvmagent.spec;

import java.nio.charset.StandardCharsets;
import java.time.YearMonth;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.Construct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;
import org.yaml.snakeyaml.scanner.ScannerImpl;
import org.yaml.snakeyaml.tokens.ScalarToken;
import org.yaml.snakeyaml.tokens.Token;

/**
 * util.load_yaml as cloud-init uses it on user-data parts: PyYAML's safe loader (YAML 1.1: later
 * duplicate keys win, merge keys apply, !!binary and the other safe tags construct, any other tag
 * fails), and a failure means "no value" (the part is skipped with a warning), not an error.
 * SnakeYAML is PyYAML's port and resolves and constructs the same way. Unlike PyYAML it stops at
 * the hostile-input bounds below; that is a refusal (exit 3), not a skipped part.
 */
final class CloudInitYaml {
  private CloudInitYaml() {}

  /**
   * PyYAML's implicit resolvers (yaml/resolver.py, PyYAML 6.0 as Debian 12 ships it), which differ
   * from SnakeYAML's in places: 1.5e3 is a string to PyYAML (its exponent needs a sign).
   */
  static final class PyYamlResolver extends Resolver {
    @Override
    protected void addImplicitResolvers() {
      addImplicitResolver(
          Tag.BOOL,
          Pattern.compile(
              "^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"),
          "yYnNtTfFoO");
      addImplicitResolver(
          Tag.FLOAT,
          Pattern.compile(
              "^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?"
                  + "|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
                  + "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*"
                  + "|[-+]?\\.(?:inf|Inf|INF)"
                  + "|\\.(?:nan|NaN|NAN))$"),
          "-+0123456789.");
      addImplicitResolver(
          Tag.INT,
          Pattern.compile(
              "^(?:[-+]?0b[0-1_]+"
                  + "|[-+]?0[0-7_]+"
                  + "|[-+]?(?:0|[1-9][0-9_]*)"
                  + "|[-+]?0x[0-9a-fA-F_]+"
                  + "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"),
          "-+0123456789");
      addImplicitResolver(Tag.MERGE, Pattern.compile("^(?:<<)$"), "<");
      addImplicitResolver(Tag.NULL, Pattern.compile("^(?:~|null|Null|NULL|)$"), "~nN\0");
      addImplicitResolver(Tag.NULL, Pattern.compile("^$"), null);
      addImplicitResolver(
          Tag.TIMESTAMP,
          Pattern.compile(
              "^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
                  + "|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
                  + "(?:[Tt]|[ \\t]+)[0-9][0-9]?"
                  + ":[0-9][0-9]:[0-9][0-9](?:\\.[0-9]*)?"
                  + "(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"),
          "0123456789");
    }
  }

  /** SnakeYAML logs duplicate keys through java.util.logging: not on the agent's stderr. */
  private static final Logger QUIET = quiet();

  private static Logger quiet() {
    Logger l = Logger.getLogger("org.yaml.snakeyaml");
    l.setLevel(Level.OFF);
    return l;
  }

  /**
   * PyYAML's scanner takes only spaces between tokens (Scanner.scan_to_next_token) and ends a plain
   * scalar at a tab (scan_plain, scan_plain_spaces), so a tab there fails the whole part ("found
   * character '\\t' that cannot start any token"); SnakeYAML accepts it. Tabs in quoted and block
   * scalars and in comments are fine for both.
   */
  static boolean tabPyYamlRefuses(String text, LoaderOptions o) {
    if (text.indexOf('\t') < 0) return false;
    int[] cps = text.codePoints().toArray();
    int prev = 0;
    ScannerImpl scanner = new ScannerImpl(new StreamReader(text), o);
    while (!scanner.checkToken(Token.ID.StreamEnd)) {
      Token t = scanner.getToken();
      int start = Math.min(cps.length, t.getStartMark().getIndex());
      boolean comment = false;
      for (int i = prev; i < start; i++) {
        if (cps[i] == '#') comment = true;
        else if (cps[i] == '\n' || cps[i] == '\r') comment = false;
        else if (cps[i] == '\t' && !comment) return true;
      }
      int end = Math.min(cps.length, Math.max(start, t.getEndMark().getIndex()));
      if (t instanceof ScalarToken st && st.getPlain()) {
        for (int i = start; i < end; i++) if (cps[i] == '\t') return true;
      }
      prev = Math.max(prev, end);
    }
    return false;
  }

  /** PyYAML's Constructor.timestamp_regexp (yaml/constructor.py, PyYAML 6.0). */
  private static final Pattern TIMESTAMP =
      Pattern.compile(
          "^([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9]{2})"
              + ":([0-9]{2})(?:\\.[0-9]*)?(?:[ \t]*(?:Z|[-+]([0-9][0-9]?)(?::([0-9]{2}))?))?)?$");

  /**
   * Whether PyYAML's construct_yaml_timestamp gives a value: it builds datetime.date/datetime and
   * datetime.timezone, which raise ValueError (the part is skipped) for a day, month, year, hour,
   * minute or second out of range (no leap second) and an offset of 24 hours or more; SnakeYAML's
   * Calendar rolls them over (2024-01-0 is 2023-12-31).
   */
  static boolean pythonTimestamp(String v) {
    Matcher m = TIMESTAMP.matcher(v);
    if (!m.matches()) return false;
    int year = Integer.parseInt(m.group(1));
    int month = Integer.parseInt(m.group(2));
    int day = Integer.parseInt(m.group(3));
    if (year < 1 || month < 1 || month > 12 || day < 1) return false;
    if (day > YearMonth.of(year, month).lengthOfMonth()) return false;
    if (m.group(4) == null) return true;
    if (Integer.parseInt(m.group(4)) > 23
        || Integer.parseInt(m.group(5)) > 59
        || Integer.parseInt(m.group(6)) > 59) return false;
    if (m.group(7) == null) return true;
    int offset =
        Integer.parseInt(m.group(7)) * 60 + (m.group(8) == null ? 0 : Integer.parseInt(m.group(8)));
    return offset < 24 * 60;
  }

  /**
   * PyYAML's !!binary: base64.decodebytes, which skips characters outside the alphabet; its
   * !!timestamp: only dates and times that exist ({@link #pythonTimestamp}).
   */
  static final class PyConstructor extends SafeConstructor {
    PyConstructor(LoaderOptions o) {
      super(o);
      Construct timestamp = yamlConstructors.get(Tag.TIMESTAMP);
      yamlConstructors.put(
          Tag.TIMESTAMP,
          new AbstractConstruct() {
            @Override
            public Object construct(org.yaml.snakeyaml.nodes.Node node) {
              if (!pythonTimestamp(constructScalar((ScalarNode) node)))
                throw new YAMLException("not a date and time PyYAML constructs");
              return timestamp.construct(node);
            }
          });
      yamlConstructors.put(
          Tag.BINARY,
          new AbstractConstruct() {
            @Override
            public Object construct(org.yaml.snakeyaml.nodes.Node node) {
              String v = constructScalar((ScalarNode) node);
              for (int i = 0; i < v.length(); i++)
                if (v.charAt(i) > 0x7f) throw new YAMLException("non-ASCII in !!binary");
              try {
                return PythonCodecs.a2bBase64(v.getBytes(StandardCharsets.US_ASCII));
              } catch (PythonCodecs.PyError e) {
                throw new YAMLException("failed to decode base64 data: " + e.getMessage());
              }
            }
          });
    }
  }

  static final int MAX_ALIASES = 50;
  static final int MAX_NESTING = 50;

  /** The loaded value, or null where cloud-init's load_yaml would log a warning and give None. */
  static Object load(Object payload, String where, UserData.Budget budget) {
    String text =
        payload instanceof byte[] b ? PythonCodecs.utf8(b) : payload instanceof String s ? s : null;
    if (text == null) return null; // not UTF-8 text: PyYAML refuses the surrogate escapes
    LoaderOptions o = new LoaderOptions();
    o.setAllowDuplicateKeys(true);
    o.setMaxAliasesForCollections(MAX_ALIASES);
    o.setNestingDepthLimit(MAX_NESTING);
    o.setCodePointLimit(UserData.MAX_BYTES);
    try {
      if (tabPyYamlRefuses(text, o)) return null;
      return new Yaml(
              new PyConstructor(o),
              new Representer(new DumperOptions()),
              new DumperOptions(),
              o,
              new PyYamlResolver())
          .load(text);
    } catch (YAMLException | IllegalArgumentException | ClassCastException e) {
      String m = String.valueOf(e.getMessage());
      if (m.contains("Number of aliases")
          || m.contains("Nesting Depth exceeded")
          || m.contains("exceeds the limit")) {
        throw new SpecException(where, "is beyond the agent's bounds for YAML (" + m + ")");
      }
      return null;
    } catch (StackOverflowError e) {
      throw new SpecException(where, "is nested too deeply");
    }
  }
}
