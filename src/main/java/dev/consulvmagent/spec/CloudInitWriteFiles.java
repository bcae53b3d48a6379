package dev.consulvmagent.spec;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What cloud-init's write_files (init stage) and write_files_deferred (final stage) modules leave
 * at one path (cloudinit/config/cc_write_files.py, cc_write_files_deferred.py at 22.4.2, the Debian
 * 12 package): entries in order, deferred ones after all others; the first entry that raises ends
 * its module (later entries are not written), and each module runs on its own. Where the supported
 * versions disagree about the agent's own entry, the agent refuses (exit 3).
 */
final class CloudInitWriteFiles {
  private CloudInitWriteFiles() {}

  /** The content at the path (null: nothing written) and, when nothing, why. */
  record Result(byte[] content, String why) {}

  private static final class State {
    ByteArrayOutputStream content;
    String why;
    boolean targetIsDir; // an entry was written below the target path
    boolean ancestorIsFile; // an entry was written at a directory of the target path
  }

  /** A module stops: cloud-init logs the exception and runs the next module. */
  private static final class Stop extends Exception {
    Stop(String m) {
      super(m, null, false, false);
    }
  }

  static Result run(
      Map<?, ?> cfg, String target, UserData.Accounts accounts, UserData.Budget budget) {
    State st = new State();
    Object wf = cfg.containsKey("write_files") ? cfg.get("write_files") : List.of();
    for (boolean deferred : new boolean[] {false, true}) {
      String module = deferred ? "write_files_deferred" : "write_files";
      try {
        module(wf, deferred, target, accounts, budget, st);
      } catch (Stop s) {
        if (st.content == null)
          st.why = "cloud-init's " + module + " module stops " + s.getMessage();
      }
    }
    return new Result(st.content == null ? null : st.content.toByteArray(), st.why);
  }

  private static List<Object> iterate(Object o) throws Stop {
    if (o instanceof Collection<?> c) return new ArrayList<>(c);
    if (o instanceof Map<?, ?> m) return new ArrayList<>(m.keySet());
    if (o instanceof String s) {
      List<Object> out = new ArrayList<>();
      s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
      return out;
    }
    throw new Stop("at once: write_files is not a list");
  }

  /** util.get_cfg_option_bool(f, "defer") on whatever the entry is (Python's `in`). */
  private static boolean deferred(Object f, int i) throws Stop {
    if (f instanceof Map<?, ?> m)
      return m.containsKey("defer") && PythonCodecs.translateBool(m.get("defer"));
    if (f instanceof String s) {
      if (s.contains("defer")) throw new Stop("at once: entry " + (i + 1) + " is not a mapping");
      return false;
    }
    if (f instanceof Collection<?> c) {
      if (c.contains("defer")) throw new Stop("at once: entry " + (i + 1) + " is not a mapping");
      return false;
    }
    throw new Stop("at once: entry " + (i + 1) + " is not a mapping");
  }

  private static void module(
      Object wf,
      boolean deferredStage,
      String target,
      UserData.Accounts accounts,
      UserData.Budget budget,
      State st)
      throws Stop {
    List<Object> all = iterate(wf);
    List<Object> files = new ArrayList<>();
    List<Integer> index = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      if (deferred(all.get(i), i) == deferredStage) {
        files.add(all.get(i));
        index.add(i);
      }
    }
    for (int n = 0; n < files.size(); n++) {
      String where = "user-data.write_files[" + index.get(n) + "]";
      String at = "at write_files[" + index.get(n) + "]";
      if (!(files.get(n) instanceof Map<?, ?> f)) throw new Stop(at + ": not a mapping");
      Object rawPath = f.get("path");
      if (PythonCodecs.falsy(rawPath)) continue; // "No path provided": skipped
      if (!(rawPath instanceof String p0)) throw new Stop(at + ": path is not a string");
      if (p0.indexOf('\0') >= 0) throw new Stop(at + ": path has a NUL byte");
      String path = normalize(p0);
      boolean ours = path.equals(target);
      if (ours) refuseWhereVersionsDiffer(f, where, accounts);
      List<String> steps = extractions(f.get("encoding"), at);
      Object contents = f.containsKey("content") ? f.get("content") : "";
      if (contents == null && !ours && laterTarget(files, n, target))
        throw new SpecException(
            where + ".content",
            "is null: cloud-init 22.4.2 stops write_files there (the agent's entry after it is"
                + " not written), >= 24.3 writes an empty file and goes on; give content: ''");
      for (String t : steps) contents = extract(contents, t, at, budget);
      String[] ug = userGroup(f.containsKey("owner") ? f.get("owner") : "root:root", at);
      boolean append = f.containsKey("append") && PythonCodecs.translateBool(f.get("append"));
      byte[] bytes = encodeText(contents, at);
      budget.decoded(bytes.length, where);
      // util.write_file: the parent directories, then the file itself
      if (ours) {
        if (st.targetIsDir || st.ancestorIsFile)
          throw new Stop(at + ": " + target + " cannot be a file there");
        if (st.content == null || !append) st.content = new ByteArrayOutputStream();
        if ((long) st.content.size() + bytes.length > SpecLoader.MAX_BYTES)
          throw new SpecException(
              where, "the agent config it writes (with append) is larger than 1 MiB");
        st.content.writeBytes(bytes);
      } else if (path.equals("/") || target.startsWith(path + "/")) {
        // "/" too: writing a file there is IsADirectoryError, whatever else exists
        if (st.content != null || st.targetIsDir)
          throw new Stop(at + ": " + path + " is a directory");
        st.ancestorIsFile = true;
      } else if (path.startsWith(target + "/")) {
        if (st.content != null) throw new Stop(at + ": " + target + " is a file");
        st.targetIsDir = true;
      }
      // util.chownbyname after the write: an unknown name ends the module
      if (accounts != null) {
        if (ug[0] != null && !accounts.users().contains(ug[0]))
          throw new Stop(at + ": unknown owner user " + Validators.quote(ug[0]));
        if (ug[1] != null && !accounts.groups().contains(ug[1]))
          throw new Stop(at + ": unknown owner group " + Validators.quote(ug[1]));
      }
    }
  }

  /** Whether an entry after index n writes the target path. */
  private static boolean laterTarget(List<Object> files, int n, String target) {
    for (Object o : files.subList(n + 1, files.size())) {
      if (o instanceof Map<?, ?> m
          && m.get("path") instanceof String p
          && p.indexOf('\0') < 0
          && normalize(p).equals(target)) return true;
    }
    return false;
  }

  /**
   * The agent's own entry where cloud-init 22.4.2 (Debian 12) and the current releases (Ubuntu
   * 22.04 and 24.04 take them as updates: 24.x to 26.x) would leave different files: refused.
   */
  private static void refuseWhereVersionsDiffer(
      Map<?, ?> f, String where, UserData.Accounts accounts) {
    if (f.containsKey("source") && f.get("source") != null)
      throw new SpecException(
          where + ".source",
          "is downloaded by cloud-init >= 24.3 (falling back to content) and ignored by 22.4.2;"
              + " the agent takes its config only inline: put it in content");
    if (f.containsKey("content") && f.get("content") == null)
      throw new SpecException(
          where + ".content",
          "is null: cloud-init 22.4.2 fails on it and writes nothing, >= 24.3 writes an empty"
              + " file; give the config as content");
    if (accounts == null) return;
    Object owner = f.containsKey("owner") ? f.get("owner") : "root:root";
    String[] ug;
    try {
      ug = userGroup(owner, where);
    } catch (Stop s) {
      return; // not a string: both versions stop before writing; handled as a stop
    }
    String missing =
        ug[0] != null && !accounts.users().contains(ug[0])
            ? "user " + ug[0]
            : ug[1] != null && !accounts.groups().contains(ug[1]) ? "group " + ug[1] : null;
    if (missing != null)
      throw new SpecException(
          where + ".owner",
          "names the "
              + missing
              + ", which does not exist here: cloud-init 22.4.2 writes the file and then fails, >="
              + " 23.1 fails before writing it (canonical/cloud-init#1980); use an existing owner"
              + " (root:root) or defer: true for an account cloud-init's users module creates");
  }

  /** os.path.abspath with the working directory cloud-init runs in (/), as a file path. */
  static String normalize(String p) {
    try {
      return Path.of("/").resolve(p).normalize().toString();
    } catch (InvalidPathException e) {
      return p;
    }
  }

  /** canonicalize_extraction: case and surrounding space ignored; unknown is text/plain. */
  private static List<String> extractions(Object encoding, String at) throws Stop {
    if (PythonCodecs.falsy(encoding)) return List.of();
    if (!(encoding instanceof String s)) throw new Stop(at + ": encoding is not a string");
    String e = s.toLowerCase(Locale.ROOT).strip();
    return switch (e) {
      case "gz", "gzip" -> List.of("gz");
      case "gz+base64", "gzip+base64", "gz+b64", "gzip+b64" -> List.of("b64", "gz");
      case "b64", "base64" -> List.of("b64");
      default -> List.of();
    };
  }

  private static Object extract(Object contents, String step, String at, UserData.Budget budget)
      throws Stop {
    if (step.equals("b64")) {
      try {
        byte[] b = PythonCodecs.b64decode(contents);
        budget.decoded(b.length, at);
        return b;
      } catch (PythonCodecs.PyError e) {
        throw new Stop(at + ": base64 content: " + e.getMessage());
      }
    }
    byte[] in = encodeText(contents, at);
    byte[] out = CloudInitParts.gunzip(in, at, budget);
    if (out == null) throw new Stop(at + ": content is not gzip data");
    return out;
  }

  /** util.encode_text: str as UTF-8, bytes as they are, anything else fails. */
  private static byte[] encodeText(Object contents, String at) throws Stop {
    if (contents instanceof byte[] b) return b;
    if (contents instanceof String s) return s.getBytes(StandardCharsets.UTF_8);
    throw new Stop(at + ": content is not text (" + typeName(contents) + ")");
  }

  private static String typeName(Object o) {
    if (o == null) return "null";
    if (o instanceof Number) return "a number";
    if (o instanceof Boolean) return "a boolean";
    if (o instanceof Map<?, ?>) return "a mapping";
    if (o instanceof Collection<?>) return "a list";
    return o.getClass().getSimpleName();
  }

  /** util.extract_usergroup: {user or null, group or null}. */
  private static String[] userGroup(Object owner, String at) throws Stop {
    if (PythonCodecs.falsy(owner)) return new String[] {null, null};
    if (!(owner instanceof String s)) throw new Stop(at + ": owner is not a string");
    String[] p = s.split(":", 2);
    String u = p[0].strip();
    String g = p.length == 2 ? p[1].strip() : null;
    return new String[] {none(u), none(g)};
  }

  private static String none(String s) {
    return s == null || s.isEmpty() || s.equals("-1") || s.equalsIgnoreCase("none") ? null : s;
  }
}
