package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.engine.RunEvent;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.host.InputLog;
import dev.consulvmagent.host.ProcessExec;
import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stamp's key, what stops a run from leaving one, and reading a stamp back. */
class NoopStampTest {
  @TempDir Path tmp;

  @AfterEach
  void stop() {
    InputLog.stop();
  }

  private static final List<String> ARGV = List.of("apply", "--config", "/etc/a.yaml");

  /** A JVM's properties: its class path an old file (the JDK's), settled long ago. */
  private static Map<String, String> props(String dir) {
    return Map.of(
        "user.dir",
        dir,
        "java.class.path",
        Path.of(System.getProperty("java.home"), "lib", "modules").toString());
  }

  private static String key(List<String> argv, Map<String, String> env, String dir) {
    return NoopStamp.key(argv, env, props(dir)).orElseThrow();
  }

  @Test
  void key_followsTheVariablesTheAgentAndItsJvmRead_only() {
    String k = key(ARGV, Map.of("HOME", "/root"), "/");
    assertThat(key(ARGV, Map.of("HOME", "/x", "INVOCATION_ID", "1"), "/")).isEqualTo(k);
    for (String v :
        List.of(
            "CONSUL_HTTP_ADDR",
            "https_proxy",
            "NO_PROXY",
            "ENVOY_ADMIN_BIND",
            "JAVA_TOOL_OPTIONS",
            "LANG",
            "LC_ALL")) assertThat(key(ARGV, Map.of(v, "x"), "/")).as(v).isNotEqualTo(k);
    assertThat(key(ARGV, Map.of(), "/tmp")).isNotEqualTo(k);
    assertThat(key(List.of("apply", "--config", "/etc/b.yaml"), Map.of(), "/")).isNotEqualTo(k);
    Map<String, String> turkish = new HashMap<>(props("/"));
    turkish.put("user.language", "tr");
    assertThat(NoopStamp.key(ARGV, Map.of(), turkish)).isNotEqualTo(Optional.of(k));
  }

  @Test
  void key_wordsCannotRunTogether_andSecretsAreDigests() {
    assertThat(key(List.of("a b", "c"), Map.of(), "/"))
        .isNotEqualTo(key(List.of("a", "b c"), Map.of(), "/"));
    assertThat(key(List.of("a\n", "b"), Map.of(), "/"))
        .isNotEqualTo(key(List.of("a", "\nb"), Map.of(), "/"));
    String k =
        key(
            List.of("apply", "--mirror", "https://op:hunter2@mirror.example/?t=s3cr3t"),
            Map.of("CONSUL_HTTP_TOKEN", "3f1c0d2e-secret"),
            "/");
    assertThat(k)
        .doesNotContain("hunter2")
        .doesNotContain("s3cr3t")
        .doesNotContain("3f1c0d2e")
        .doesNotContain("\n");
    assertThat(
            key(
                List.of("apply", "--mirror", "https://op:other@mirror.example/?t=s3cr3t"),
                Map.of("CONSUL_HTTP_TOKEN", "3f1c0d2e-secret"),
                "/"))
        .isNotEqualTo(k);
  }

  @Test
  void key_followsTheAgentsCode_andNoneWhileItIsBeingReplaced() throws IOException {
    Path jar = tmp.resolve("agent.jar");
    Files.writeString(jar, "a new agent, written just now");
    Map<String, String> p = new HashMap<>(props("/"));
    p.put("java.class.path", jar.toString());
    assertThat(NoopStamp.key(ARGV, Map.of(), p))
        .as("code changed less than %d s ago", NoopStamp.CODE_SETTLED_SECONDS)
        .isEmpty();
    // a class directory (a development run, these tests'): its files' count and newest change,
    // without the wait (a build has just written it)
    Path classes = Files.createDirectories(tmp.resolve("classes/dev"));
    Files.writeString(classes.resolve("A.class"), "built");
    p.put("java.class.path", tmp.resolve("classes").toString());
    String built = NoopStamp.key(ARGV, Map.of(), p).orElseThrow();
    settle();
    Files.writeString(classes.resolve("B.class"), "rebuilt");
    assertThat(NoopStamp.key(ARGV, Map.of(), p)).isPresent().isNotEqualTo(Optional.of(built));
    String modules = props("/").get("java.class.path");
    assertThat(key(ARGV, Map.of(), "/")).contains(" code ").contains(modules);
  }

  /**
   * Every variable name the sources read (System.getenv, and the maps passed on from it) is one the
   * key follows: a variable the plan depends on cannot change under a stamp.
   */
  @Test
  void key_coversEveryVariableTheSourcesRead() throws IOException {
    Pattern read =
        Pattern.compile(
            "(?:getenv|env\\.get|env\\.getOrDefault|env\\.containsKey)\\(\"([A-Za-z_]+)\"|"
                + "first\\(env, \"([A-Za-z_]+)\", \"([A-Za-z_]+)\"\\)");
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = read.matcher(Files.readString(f));
        while (m.find()) for (int g = 1; g <= 3; g++) if (m.group(g) != null) names.add(m.group(g));
      }
    }
    assertThat(names).contains("NOTIFY_SOCKET", "ENVOY_ADMIN_BIND", "https_proxy", "NO_PROXY");
    assertThat(names).allMatch(NoopStamp::envRead);
  }

  private RunResult noop() {
    Instant t = Instant.parse("2026-12-08T01:00:00.123456789Z");
    return new RunResult("apply", t, t.plusMillis(5), List.of(), List.of(), false, null);
  }

  private HostFs fs() throws IOException {
    Files.createDirectories(tmp.resolve("var/lib/consul-vm-agent"));
    HostFs fs = new HostFs(tmp, false);
    fs.writeAtomic(ResultFile.PATH, Json.render(ResultFile.toMap(noop(), 0)), 0644, -1, -1);
    return fs;
  }

  @Test
  void aRunThatRanAProcess_leavesNoStamp() throws IOException {
    HostFs fs = fs();
    InputLog log = InputLog.start(NoopStamp.reports(tmp));
    new ProcessExec().run(List.of("true"), Duration.ofSeconds(10));
    Optional<String> why =
        NoopStamp.record(
            Host.of(fs, new ProcessExec(), false), log, "k", noop(), List.of(), "No changes.\n");
    assertThat(why).hasValueSatisfying(w -> assertThat(w).contains("true"));
    assertThat(tmp.resolve("var/lib/consul-vm-agent/noop-stamp")).doesNotExist();
  }

  @Test
  void aFileReadAndChangedDuringTheRun_leavesNoStamp() throws IOException {
    HostFs fs = fs();
    Files.writeString(tmp.resolve("etc.conf"), "a");
    InputLog log = InputLog.start(NoopStamp.reports(tmp));
    fs.readIfExists("/etc.conf");
    Files.writeString(tmp.resolve("etc.conf"), "b");
    Optional<String> why =
        NoopStamp.record(
            Host.of(fs, new ProcessExec(), false), log, "k", noop(), List.of(), "No changes.\n");
    assertThat(why).hasValueSatisfying(w -> assertThat(w).startsWith("a file it read changed"));
  }

  /**
   * Files changed less than a coarse clock tick before a run cannot be stamped (InputLog's racily
   * clean entries): a test's files are written, then the run starts a little later.
   */
  private static void settle() {
    try {
      Thread.sleep(120);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aFileChangedJustBeforeTheRun_leavesNoStamp_untilItSettles() throws IOException {
    HostFs fs = fs();
    Files.writeString(tmp.resolve("etc.conf"), "a");
    Host host = Host.of(fs, new ProcessExec(), false);
    InputLog log = InputLog.start(NoopStamp.reports(tmp));
    fs.readIfExists("/etc.conf");
    assertThat(NoopStamp.record(host, log, "k", noop(), List.of(), "x"))
        .hasValueSatisfying(w -> assertThat(w).contains("just before"));
    settle();
    log = InputLog.start(NoopStamp.reports(tmp));
    fs.readIfExists("/etc.conf");
    assertThat(NoopStamp.record(host, log, "k", noop(), List.of(), "x")).isEmpty();
  }

  @Test
  void aStamp_readsBack_andGarbageIsNone() throws IOException {
    HostFs fs = fs();
    Files.writeString(tmp.resolve("etc.conf"), "a");
    settle();
    InputLog log = InputLog.start(NoopStamp.reports(tmp));
    fs.readIfExists("/etc.conf");
    fs.list("/var/lib/consul-vm-agent");
    Optional<String> why =
        NoopStamp.record(
            Host.of(fs, new ProcessExec(), false),
            log,
            "the key",
            noop(),
            List.of(new RunEvent.Message("warning: x", false)),
            "No changes.\n");
    assertThat(why).isEmpty();
    byte[] written = Files.readAllBytes(tmp.resolve("var/lib/consul-vm-agent/noop-stamp"));
    NoopStamp.Stamp s = NoopStamp.parse(written).orElseThrow();
    assertThat(s.key()).isEqualTo("the key");
    assertThat(s.stdout()).isEqualTo("No changes.\n");
    assertThat(s.events()).extracting(m -> m.text()).containsExactly("warning: x");
    assertThat(s.paths().keySet())
        .anyMatch(p -> p.startsWith("ENTRY ") && p.endsWith("/etc.conf"))
        .anyMatch(p -> p.startsWith("LISTING ") && p.endsWith("/var/lib/consul-vm-agent"));
    assertThat(NoopStamp.same(tmp, s.paths())).isTrue();
    // the stamp and last-run.json are not in their directory's listing: writing them again
    // changes nothing the stamp covers
    fs.writeAtomic(ResultFile.PATH, new byte[] {'{', '}'}, 0644, -1, -1);
    assertThat(NoopStamp.same(tmp, s.paths())).isTrue();
    Files.writeString(tmp.resolve("var/lib/consul-vm-agent/receipts_x.json"), "{}");
    assertThat(NoopStamp.same(tmp, s.paths())).isFalse();

    for (String bad :
        List.of(
            "",
            "something else\n",
            NoopStamp.MAGIC + "\nkey k\n",
            NoopStamp.MAGIC + "\nkey k\npath NOPE /x\tabsent\n",
            NoopStamp.MAGIC + "\nkey k\nstdout %%%\n"))
      assertThat(NoopStamp.parse(bad.getBytes())).as(bad).isEmpty();
  }

  /**
   * A read through a link inside a --root is recorded where the read went (the link's absolute
   * target taken inside the root, as RootPath.chase does), and the link itself: pointing it
   * elsewhere is a change even when what it pointed to stays as it was.
   */
  @Test
  void aReadThroughALinkInsideTheRoot_recordsTheTargetInTheRoot_andTheLink() throws IOException {
    HostFs fs = fs();
    Files.createDirectories(tmp.resolve("real"));
    Files.createDirectories(tmp.resolve("other"));
    Files.writeString(tmp.resolve("real/f"), "a");
    Files.writeString(tmp.resolve("other/f"), "a");
    Files.createSymbolicLink(tmp.resolve("link"), Path.of("/real")); // absolute: inside the root
    settle();
    InputLog log = InputLog.start(NoopStamp.reports(tmp));
    assertThat(fs.readIfExists("/link/f")).hasValueSatisfying(b -> assertThat(b).hasSize(1));
    assertThat(
            NoopStamp.record(
                Host.of(fs, new ProcessExec(), false), log, "k", noop(), List.of(), "x"))
        .isEmpty();
    NoopStamp.Stamp s =
        NoopStamp.parse(Files.readAllBytes(tmp.resolve("var/lib/consul-vm-agent/noop-stamp")))
            .orElseThrow();
    assertThat(s.paths().keySet())
        .contains("ENTRY " + tmp.resolve("real/f"), "ENTRY " + tmp.resolve("link"));
    assertThat(NoopStamp.same(tmp, s.paths())).isTrue();
    Files.delete(tmp.resolve("link"));
    Files.createSymbolicLink(tmp.resolve("link"), Path.of("/other"));
    assertThat(NoopStamp.same(tmp, s.paths())).isFalse();
  }
}
