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

  /** Parses "list(append)+dict(no_replace,recurse_list)+str()" or the list-of-{name,settings} form. */
  static Rules parse(Object how) {
    Set<String> dict = null, list = null, str = null;
    if (how instanceof String s) {
      for (String part : s.split("\\+")) {
        part = part.trim();
        int open = part.indexOf('(');
        String name = open < 0 ? part : part.substring(0, open).trim();
        String args = open < 0 ? "" : part.substring(open + 1, part.lastIndexOf(')'));
        Set<String> settings = new java.util.LinkedHashSet<>();
        for (String a : args.split(",")) if (!a.isBlank()) settings.add(a.trim());
        switch (name) {
          case "dict" -> dict = settings;
          case "list" -> list = settings;
          case "str" -> str = settings;
          default -> throw new SpecException("merge_how", "unknown merger '" + name + "'");
        }
      }
    } else if (how instanceof List<?> l) {
      for (Object o : l) {
        if (!(o instanceof Map<?, ?> m)) throw new SpecException("merge_how", "expected a list of {name, settings}");
        Set<String> settings = new java.util.LinkedHashSet<>();
        if (m.get("settings") instanceof List<?> sl) for (Object x : sl) settings.add(String.valueOf(x));
        switch (String.valueOf(m.get("name"))) {
          case "dict" -> dict = settings;
          case "list" -> list = settings;
          case "str" -> str = settings;
          default -> throw new SpecException("merge_how", "unknown merger '" + m.get("name") + "'");
        }
      }
    } else {
      throw new SpecException("merge_how", "expected a string or a list");
    }
    return new Rules(dict == null ? Set.of("no_replace") : dict, list == null ? Set.of() : list, str == null ? Set.of() : str);
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
      if (!(neu instanceof List<?> nl)) return r.list().contains("append") || r.list().contains("prepend") ? old : neu;
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
    if (old instanceof String os && neu instanceof String ns && r.str().contains("append")) return os + ns;
    return neu;
  }
}
