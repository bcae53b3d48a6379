package dev.consulvmagent.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * STYLE (issue 18, "Small things"): no inline fully-qualified class names in code; a class is named
 * through an import. The one legitimate use is a clash: the simple name is already taken in the
 * file (another import, a type declared in it, a class of the same package, java.lang, or a second
 * class of that simple name qualified in the same file). Names inside string literals, comments and
 * Javadoc are not code and are left alone.
 */
class QualifiedNamesTest {
  private static final List<Path> ROOTS =
      List.of(Path.of("src/main/java"), Path.of("src/test/java"));

  private static final Pattern FQN =
      Pattern.compile(
          "(?<![\\w.])((?:java|javax|jdk|dev|org|com|sun)\\.(?:[a-z_][a-z0-9_]*\\.)*)([A-Z]\\w*)");
  private static final Pattern HEADER =
      Pattern.compile("^(?:package|import)\\s[^;]*;", Pattern.MULTILINE);
  private static final Pattern IMPORT =
      Pattern.compile("^import\\s+(static\\s+)?([\\w.]+)\\s*;", Pattern.MULTILINE);
  private static final Pattern DECLARED =
      Pattern.compile("\\b(?:class|interface|enum|record)\\s+([A-Z]\\w*)");

  @Test
  void noInlineQualifiedNames() throws IOException {
    List<String> found = new ArrayList<>();
    for (Path f : sources()) found.addAll(offenders(f));
    assertThat(found).as("inline fully-qualified names; import them instead").isEmpty();
  }

  @Test
  void detector_findsCodeOnly_andAllowsClashes() {
    String src =
        "package a.b;\n"
            + "import x.y.List;\n"
            + "/** {@link java.util.Set} */\n"
            + "class C { java.util.Map<String, String> m; // java.util.Deque\n"
            + "  String s = \"java.util.Queue\"; String t = \"\"\"\n  java.util.Stack\n  \"\"\";\n"
            + "  java.util.List<String> l; java.lang.String u; java.util.Optional.Empty e; }\n";
    assertThat(offenders("C.java", src, Set.of()))
        .containsExactly(
            "C.java:4 java.util.Map", "C.java:8 java.lang.String", "C.java:8 java.util.Optional");
  }

  private static List<Path> sources() throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path root : ROOTS) {
      try (Stream<Path> s = Files.walk(root)) {
        s.filter(p -> p.toString().endsWith(".java")).sorted().forEach(out::add);
      }
    }
    return out;
  }

  private static List<String> offenders(Path f) throws IOException {
    Set<String> samePackage = new HashSet<>();
    Path rel = null;
    for (Path root : ROOTS) if (f.startsWith(root)) rel = root.relativize(f.getParent());
    for (Path root : ROOTS) {
      Path dir = root.resolve(rel);
      if (!Files.isDirectory(dir)) continue;
      try (Stream<Path> s = Files.list(dir)) {
        s.map(p -> p.getFileName().toString())
            .filter(n -> n.endsWith(".java"))
            .forEach(n -> samePackage.add(n.substring(0, n.length() - 5)));
      }
    }
    return offenders(f.toString(), Files.readString(f, StandardCharsets.UTF_8), samePackage);
  }

  /** "file:line fqn" for each qualified name in code whose simple name is free to import. */
  static List<String> offenders(String name, String s, Set<String> samePackage) {
    boolean[] code = codeMask(s);
    Map<String, Set<String>> bySimple = new HashMap<>();
    Matcher im = IMPORT.matcher(s);
    while (im.find())
      if (im.group(1) == null) {
        String fq = im.group(2);
        bySimple
            .computeIfAbsent(fq.substring(fq.lastIndexOf('.') + 1), k -> new HashSet<>())
            .add(fq);
      }
    int headerEnd = 0;
    Matcher h = HEADER.matcher(s);
    while (h.find()) headerEnd = h.end();
    List<int[]> spots = new ArrayList<>();
    List<String> fqns = new ArrayList<>();
    Matcher m = FQN.matcher(s);
    while (m.find()) {
      if (m.start() < headerEnd || !code[m.start()]) continue;
      String fq = m.group(1) + m.group(2);
      bySimple.computeIfAbsent(m.group(2), k -> new HashSet<>()).add(fq);
      spots.add(new int[] {m.start()});
      fqns.add(fq);
    }
    Set<String> declared = new HashSet<>();
    Matcher d = DECLARED.matcher(s);
    while (d.find()) declared.add(d.group(1));
    List<String> out = new ArrayList<>();
    for (int i = 0; i < fqns.size(); i++) {
      String fq = fqns.get(i);
      String simple = fq.substring(fq.lastIndexOf('.') + 1);
      boolean clash =
          bySimple.get(simple).size() > 1
              || declared.contains(simple)
              || (!fq.startsWith("java.lang.") && samePackage.contains(simple))
              || (!fq.startsWith("java.lang.") && inJavaLang(simple));
      if (!clash) {
        int line = 1;
        for (int k = 0; k < spots.get(i)[0]; k++) if (s.charAt(k) == '\n') line++;
        out.add(name + ":" + line + " " + fq);
      }
    }
    return out;
  }

  private static boolean inJavaLang(String simple) {
    try {
      Class.forName("java.lang." + simple, false, QualifiedNamesTest.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** true where s has code: not in a comment, string, text block or char literal. */
  static boolean[] codeMask(String s) {
    boolean[] code = new boolean[s.length()];
    int i = 0;
    int n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      if (s.startsWith("//", i)) {
        int j = s.indexOf('\n', i);
        i = j < 0 ? n : j;
      } else if (s.startsWith("/*", i)) {
        int j = s.indexOf("*/", i + 2);
        i = j < 0 ? n : j + 2;
      } else if (s.startsWith("\"\"\"", i)) {
        int j = i + 3;
        while (j < n && !(s.startsWith("\"\"\"", j) && s.charAt(j - 1) != '\\')) j++;
        i = Math.min(n, j + 3);
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < n && s.charAt(j) != c) j += s.charAt(j) == '\\' ? 2 : 1;
        i = j + 1;
      } else {
        code[i++] = true;
      }
    }
    return code;
  }
}
