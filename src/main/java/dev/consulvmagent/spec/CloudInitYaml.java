package dev.consulvmagent.spec;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * util.load_yaml as cloud-init uses it on user-data parts: PyYAML's safe loader (YAML 1.1: later
 * duplicate keys win, merge keys apply, !!binary and the other safe tags construct, any other tag
 * fails), and a failure means "no value" (the part is skipped with a warning), not an error.
 * SnakeYAML is PyYAML's port and resolves and constructs the same way. Unlike PyYAML it stops at
 * the hostile-input bounds below; that is a refusal (exit 3), not a skipped part.
 */
final class CloudInitYaml {
  private CloudInitYaml() {}

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
      return new Yaml(new SafeConstructor(o)).load(text);
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
