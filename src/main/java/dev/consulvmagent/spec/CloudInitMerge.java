package dev.consulvmagent.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * cloud-init's merge of cloud-config parts (cloudinit/mergers m_dict, m_list, m_str): each part
 * says how it merges into everything before it; the default is dict(replace)+list()+str().
 */
final class CloudInitMerge {
  record Rules(Set<String> dict, Set<String> list, Set<String> str) {
    static final Rules DEFAULT = new Rules(Set.of("replace"), Set.of(), Set.of());
  }

  private CloudInitMerge() {}

  /**
   * Parses "list(append)+dict(no_replace,recurse_list)+str()" or the list-of-{name,settings} form.
   * Anything else is a config error naming merge_how (never an internal error).
   */
  static Rules parse(Object how) {
    Set<String> dict = null, list = null, str = null;
    if (how instanceof String s) {
      if (s.length() > 1024) throw new SpecException("merge_how", "is longer than 1024 characters");
      String[] parts = s.split("\\+");
      if (parts.length == 0)
        throw new SpecException("merge_how", "names no merger (expected e.g. list(append)+dict())");
      for (String part : parts) {
        part = part.trim();
        if (part.isEmpty())
          throw new SpecException("merge_how", "has an empty merger between '+' signs");
        int open = part.indexOf('(');
        int close = part.lastIndexOf(')');
        if ((open < 0) != (close < 0)
            || close < open
            || (close >= 0 && close != part.length() - 1)) {
          throw new SpecException(
              "merge_how",
              "malformed merger "
                  + Validators.quote(part)
                  + " (expected name(setting,…), e.g. list(append))");
        }
        String name = open < 0 ? part : part.substring(0, open).trim();
        String args = open < 0 ? "" : part.substring(open + 1, close);
        Set<String> settings = new java.util.LinkedHashSet<>();
        for (String a : args.split(",")) if (!a.isBlank()) settings.add(a.trim());
        switch (name) {
          case "dict" -> dict = settings;
          case "list" -> list = settings;
          case "str" -> str = settings;
          default ->
              throw new SpecException("merge_how", "unknown merger " + Validators.quote(name));
        }
      }
    } else if (how instanceof List<?> l) {
      for (Object o : l) {
        if (!(o instanceof Map<?, ?> m) || !(m.get("name") instanceof String name)) {
          throw new SpecException("merge_how", "expected a list of {name, settings}");
        }
        Set<String> settings = new java.util.LinkedHashSet<>();
        Object given = m.get("settings");
        if (given instanceof List<?> sl) {
          for (Object x : sl) {
            if (!(x instanceof String))
              throw new SpecException("merge_how", "settings must be strings");
            settings.add((String) x);
          }
        } else if (given != null) {
          throw new SpecException("merge_how", "settings must be a list of strings");
        }
        switch (name) {
          case "dict" -> dict = settings;
          case "list" -> list = settings;
          case "str" -> str = settings;
          default ->
              throw new SpecException("merge_how", "unknown merger " + Validators.quote(name));
        }
      }
    } else {
      throw new SpecException("merge_how", "expected a string or a list");
    }
    return new Rules(
        dict == null ? Set.of("no_replace") : dict,
        list == null ? Set.of() : list,
        str == null ? Set.of() : str);
  }

  @SuppressWarnings("unchecked")
  static Object merge(Object old, Object neu, Rules r) {
    if (old instanceof Map<?, ?> om) {
      if (!(neu instanceof Map<?, ?> nm)) return old;
      Map<String, Object> out = new LinkedHashMap<>((Map<String, Object>) om);
      boolean replace = r.dict().contains("replace");
      for (Map.Entry<String, Object> e : ((Map<String, Object>) nm).entrySet()) {
        String k = e.getKey();
        Object v = e.getValue();
        if (!out.containsKey(k)) {
          out.put(k, v);
        } else if (v == null && r.dict().contains("allow_delete")) {
          out.remove(k);
        } else if (replace) {
          out.put(k, v);
        } else if (v instanceof List<?> && r.dict().contains("recurse_list")) {
          out.put(k, merge(out.get(k), v, r));
        } else if (v instanceof String && r.dict().contains("recurse_str")) {
          out.put(k, merge(out.get(k), v, r));
        } else if (v instanceof Map<?, ?>) {
          out.put(k, merge(out.get(k), v, r));
        }
      }
      return out;
    }
    if (old instanceof List<?> ol) {
      if (!(neu instanceof List<?> nl))
        return r.list().contains("append") || r.list().contains("prepend") ? old : neu;
      if (r.list().contains("append")) {
        List<Object> out = new ArrayList<>(ol);
        out.addAll(nl);
        return out;
      }
      if (r.list().contains("prepend")) {
        List<Object> out = new ArrayList<>(nl);
        out.addAll(ol);
        return out;
      }
      List<Object> out = new ArrayList<>(ol);
      for (int i = 0; i < Math.min(out.size(), nl.size()); i++) {
        if (!r.list().contains("no_replace")) out.set(i, nl.get(i));
      }
      return out;
    }
    if (old instanceof String os && neu instanceof String ns && r.str().contains("append"))
      return os + ns;
    return neu;
  }
}
