package dev.consulvmagent.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.spec.AppSpec;
import dev.consulvmagent.spec.SpecLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile values through the systemd quoting: the real systemd-analyze verify and the real
 * environment-file parser (systemd's environment.d generator reads the same syntax) must see
 * exactly one argument, one variable, and no new directive.
 */
class SystemdSyntaxTest {
  private static final Pattern MISSING =
      Pattern.compile(".*: Command (\\S+) is not executable: No such file or directory");
  private static final String GENERATOR =
      "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator";

  /** Values that get through the config (no control characters) but mean something to systemd. */
  static final List<String> TRICKY =
      List.of(
          "plain",
          "",
          " ",
          "two words",
          "\"",
          "\\",
          "trailing\\",
          "\\\"",
          "x\" ExecStartPre=+/bin/sh \"",
          "'single'",
          "%n %i %%",
          "100%",
          "$HOME",
          "${HOME}",
          "$$",
          ";",
          "\\;",
          "a ; /bin/sh",
          "#not a comment",
          "-dash",
          "@at",
          "+plus",
          "!bang",
          ":colon",
          "=",
          "A=B",
          "üñïçødé ✓",
          "tab\\tescape",
          "\\x0d\\n",
          "ExecStartPre=+/bin/sh -c id",
          "[Service]");

  @Test
  void execArgumentAndEnvironment_trickyValues_passVerify_andAddNoLine(@TempDir Path dir)
      throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze not installed");
    Map<String, String> env = new LinkedHashMap<>();
    for (int i = 0; i < TRICKY.size(); i++) env.put("V" + i, TRICKY.get(i));
    AppSpec app =
        new AppSpec(
            "web",
            "https://x.invalid/w",
            Optional.of("0".repeat(64)),
            Optional.empty(),
            "web",
            Optional.empty(),
            TRICKY,
            env,
            Optional.empty());
    String unit = Units.app(app);
    // one Environment= line per variable and one ExecStart= line: nothing split a line
    assertThat(unit.lines().filter(l -> l.startsWith("Environment=")).count())
        .isEqualTo(TRICKY.size());
    assertThat(unit.lines().filter(l -> l.startsWith("Exec")).toList())
        .hasSize(1)
        .allMatch(l -> l.startsWith("ExecStart=/usr/local/bin/web "));
    Files.writeString(dir.resolve("web.service"), unit);
    assertThat(verify(dir.resolve("web.service"))).isEmpty();
  }

  @Test
  void configToUnit_trickyValuesAccepted_andRenderedAsOneLineEach(@TempDir Path dir)
      throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze not installed");
    StringBuilder yaml =
        new StringBuilder(
            "consul: {role: server}\napp:\n  name: web\n  url: https://x.example/w\n  sha256: "
                + "0".repeat(64)
                + "\n  args:\n");
    StringBuilder env = new StringBuilder("  environment:\n");
    for (int i = 0; i < TRICKY.size(); i++) {
      String q = "\"" + TRICKY.get(i).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
      yaml.append("    - ").append(q).append('\n');
      env.append("    V").append(i).append(": ").append(q).append('\n');
    }
    AppSpec app =
        new SpecLoader()
            .parse(yaml.append(env).toString().getBytes(StandardCharsets.UTF_8))
            .app()
            .orElseThrow();
    assertThat(app.args()).isEqualTo(TRICKY);
    String unit = Units.app(app);
    assertThat(unit.lines().filter(l -> l.startsWith("Environment=")).count())
        .isEqualTo(TRICKY.size());
    Files.writeString(dir.resolve("web.service"), unit);
    assertThat(verify(dir.resolve("web.service"))).isEmpty();
  }

  @Test
  void carriageReturn_unquoted_injectsADirective_soItIsRefused(@TempDir Path dir) throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze not installed");
    // the hazard, with the real parser: a CR inside a quoted Environment= value ends the line
    // and systemd reads the rest as a directive of its own (here a root ExecStartPre=+)
    String hostile = "x\rExecStartPre=+/nonexistent-injected\r";
    Path raw = dir.resolve("raw.service");
    Files.writeString(raw, "[Service]\nEnvironment=\"A=" + hostile + "\"\nExecStart=/bin/true\n");
    assertThat(verify(raw))
        .anyMatch(l -> l.contains("Command /nonexistent-injected is not executable"));
    assertThatThrownBy(() -> SystemdSyntax.environmentAssignment("A", hostile))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SystemdSyntax.execArgument(hostile))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void execArgument_quotedSemicolon_isAnArgument_notASecondCommand(@TempDir Path dir)
      throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze not installed");
    // unquoted, a lone ';' starts a second command (systemd.service(5)), which a Type=simple
    // service refuses ("more than one ExecStart= setting"); quoted, it is an argument
    Path bad = dir.resolve("bad.service");
    Files.writeString(bad, "[Service]\nExecStart=/bin/true ; /nonexistent-second\n");
    assertThat(verify(bad)).anyMatch(l -> l.contains("more than one ExecStart"));
    Path good = dir.resolve("good.service");
    Files.writeString(
        good,
        "[Service]\nExecStart=/bin/true "
            + SystemdSyntax.execArgument(";")
            + " "
            + SystemdSyntax.execArgument("/nonexistent-second")
            + "\n");
    assertThat(verify(good)).isEmpty();
  }

  @ParameterizedTest(name = "U+{0}")
  @ValueSource(
      ints = {
        0x0a, 0x0d, 0x00, 0x09, 0x0b, 0x0c, 0x1b, 0x7f, 0x85, 0x2028, 0x2029, 0xfeff, 0x202e,
        0xfffe, 0xd800
      })
  void unsafeCharacters_areRefused_byEveryQuoter(int cp) {
    String v =
        "a"
            + (Character.isBmpCodePoint(cp)
                ? String.valueOf((char) cp)
                : new String(Character.toChars(cp)))
            + "ExecStartPre=+/bin/sh";
    assertThatThrownBy(() -> SystemdSyntax.execArgument(v))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SystemdSyntax.environmentAssignment("A", v))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SystemdSyntax.environmentFileLine("A", v))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void environmentAssignment_keepsDollar_doublesPercent() {
    // systemd.exec(5): in Environment= "the $ character has no special meaning"
    assertThat(SystemdSyntax.environmentAssignment("A", "a$b%c\"d\\e"))
        .isEqualTo("\"A=a$b%%c\\\"d\\\\e\"");
    assertThat(SystemdSyntax.execArgument("a$b%c")).isEqualTo("\"a$$b%%c\"");
    assertThatThrownBy(() -> SystemdSyntax.environmentAssignment("A B", "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SystemdSyntax.environmentFileLine("LD_PRELOAD=x\nB", "x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void environmentFileLine_isReadBackExactly_bySystemdsParser(@TempDir Path dir) throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of(GENERATOR)), "systemd environment.d generator not installed");
    Path d = Files.createDirectories(dir.resolve("environment.d"));
    StringBuilder file = new StringBuilder("# Managed\n");
    List<String> values = new ArrayList<>();
    for (String v : TRICKY) {
      if (v.contains("$"))
        continue; // environment.d (not EnvironmentFile=) expands $ after unquoting
      values.add(v.strip().equals(v) ? v : v.strip()); // both drop outer whitespace of a value
    }
    for (int i = 0; i < values.size(); i++)
      file.append(SystemdSyntax.environmentFileLine("V" + i, values.get(i)));
    file.append(
        SystemdSyntax.environmentFileLine(
            "LAST", "-prometheus-scrape-path=/m\" LD_PRELOAD=\"/tmp/evil.so"));
    Files.writeString(d.resolve("10-test.conf"), file);
    Map<String, String> parsed = new LinkedHashMap<>();
    ProcessBuilder pb = new ProcessBuilder(GENERATOR).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().put("XDG_CONFIG_HOME", dir.toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    for (String line : out.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) parsed.put(line.substring(0, eq), unquote(line.substring(eq + 1)));
    }
    for (int i = 0; i < values.size(); i++) {
      assertThat(parsed.get("V" + i))
          .as("V%d from %s", i, values.get(i))
          .isEqualTo(values.get(i).isEmpty() ? null : values.get(i));
    }
    assertThat(parsed).doesNotContainKey("LD_PRELOAD");
    assertThat(parsed.get("LAST"))
        .isEqualTo("-prometheus-scrape-path=/m\" LD_PRELOAD=\"/tmp/evil.so");
  }

  /** The generator prints NAME=value or NAME="value" with \" \\ \` \$ escapes. */
  private static String unquote(String v) {
    if (!(v.startsWith("\"") && v.endsWith("\"") && v.length() >= 2)) return v;
    StringBuilder b = new StringBuilder();
    for (int i = 1; i < v.length() - 1; i++) {
      char c = v.charAt(i);
      if (c == '\\' && i + 1 < v.length() - 1) c = v.charAt(++i);
      b.append(c);
    }
    return b.toString();
  }

  private static List<String> verify(Path unit) throws Exception {
    Process p =
        new ProcessBuilder("systemd-analyze", "verify", "--man=no", unit.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    List<String> problems = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (line.isBlank()) continue;
      Matcher m = MISSING.matcher(line);
      if (m.matches() && m.group(1).equals("/usr/local/bin/web")) continue;
      problems.add(line);
    }
    return problems;
  }
}
