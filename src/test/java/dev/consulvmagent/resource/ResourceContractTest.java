package dev.consulvmagent.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.artifact.Artifact;
import dev.consulvmagent.artifact.Installer;
import dev.consulvmagent.artifact.Verification;
import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Planned;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Exec;
import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.MutationDuringPlanException;
import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.RecordingHost;
import dev.consulvmagent.testing.Roots;
import dev.consulvmagent.testing.TestMirror;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tests every resource kind gets, each really running for every kind (no root needed: the test
 * root's users map to whoever runs the tests, and systemd-sysusers is a recording double that
 * writes the root's account files): creates when absent; does nothing when equal; updates only what
 * changed; never mutates during plan. Then, for each kind with a mode, a metadata-only change keeps
 * the inode; for each kind that notifies, notifications only on change.
 */
class ResourceContractTest {
  @TempDir Path root;
  @TempDir static Path sources;
  static TestMirror otherEnvoy;

  /**
   * One kind: make(first) is created, then make(second) (after drift, if any) must change exactly
   * changedFields.
   */
  record Case(
      String name,
      Function<String, Resource> make,
      String first,
      String second,
      Consumer<Path> drift,
      List<String> changedFields) {
    @Override
    public String toString() {
      return name;
    }
  }

  @BeforeAll
  static void mirrors() throws IOException {
    otherEnvoy = new TestMirror("1.16.6", "1.27.0");
  }

  @AfterAll
  static void stop() {
    otherEnvoy.close();
  }

  static Case file(
      String name, Function<String, Resource> make, String a, String b, List<String> changed) {
    return new Case(name, make, a, b, r -> {}, changed);
  }

  static Stream<Case> all() {
    return Stream.of(
        file(
            "file",
            v ->
                FileResource.at("/etc/demo/a.conf", v.getBytes(StandardCharsets.UTF_8))
                    .mode(0640)
                    .owner("root", "consul")
                    .build(),
            "one\n",
            "two\n",
            List.of("content")),
        file(
            "json file",
            v ->
                FileResource.at(
                        "/etc/consul.d/c.json",
                        ("{\"datacenter\": \"" + v + "\", \"server\": true}\n").getBytes())
                    .json()
                    .build(),
            "dc1",
            "dc2",
            List.of("content", "json.datacenter")),
        file(
            "secret file",
            v ->
                FileResource.at(
                        "/etc/consul.d/s.json", ("{\"encrypt\": \"" + v + "\"}\n").getBytes())
                    .json()
                    .sensitive()
                    .mode(0640)
                    .build(),
            "aaaa",
            "bbbb",
            List.of("content", "json.encrypt")),
        file(
            "directory",
            v -> new DirectoryResource("/var/lib/demo", Integer.parseInt(v, 8), "consul", "consul"),
            "750",
            "755",
            List.of("mode")),
        file(
            "symlink",
            v -> new SymlinkResource("/etc/systemd/system/multi-user.target.wants/x.service", v),
            "/etc/systemd/system/x.service",
            "/etc/systemd/system/y.service",
            List.of("target")),
        file(
            "absent",
            v ->
                v.equals("keep")
                    ? FileResource.at("/etc/gone", new byte[] {1}).build()
                    : new AbsentResource("/etc/gone"),
            "keep",
            "drop",
            List.of()),
        file(
            "copy",
            v -> new CopyResource(source(v), "/usr/local/bin/consul-vm-agent.jar"),
            "jar one",
            "jar two!",
            List.of("size", "modified")),
        file("binary", ResourceContractTest::envoy, "1.26.8", "1.27.0", List.of("source")),
        // presence is all a user converges to (never a uid change): the update is a lost group
        new Case(
            "system user",
            v -> new SystemUserResource("demo", "Demo", "/var/lib/demo"),
            "x",
            "x",
            r -> rewrite(r.resolve("etc/group"), l -> !l.startsWith("demo:")),
            List.of("group")));
  }

  static Stream<Arguments> cases() {
    return all().map(Arguments::of);
  }

  /** The kinds with a mode: a chmod by someone else is converged without a new inode. */
  static Stream<Arguments> withMode() {
    return Stream.of(
        Arguments.of("file", "/etc/demo/a.conf", all().toList().get(0)),
        Arguments.of("directory", "/var/lib/demo", all().toList().get(3)),
        Arguments.of("copy", "/usr/local/bin/consul-vm-agent.jar", all().toList().get(6)),
        Arguments.of("binary", "/usr/bin/envoy", all().toList().get(7)));
  }

  /** The kinds that notify: once when they change, never when they do not. */
  static Stream<Arguments> notifying() {
    Notification n = Notification.restart("x.service");
    List<Supplier<Resource>> rs =
        List.of(
            () -> FileResource.at("/etc/x", new byte[] {1}).notify(n).build(),
            () ->
                new SymlinkResource(
                    "/etc/systemd/system/multi-user.target.wants/x.service",
                    "/etc/systemd/system/x.service",
                    n),
            () -> new BinaryResource(envoy("1.26.8").source(), n));
    List<String> names = List.of("file", "symlink", "binary");
    List<Arguments> out = new ArrayList<>();
    for (int i = 0; i < rs.size(); i++) out.add(Arguments.of(names.get(i), rs.get(i)));
    return out.stream();
  }

  private static Path source(String content) {
    try {
      Path p = sources.resolve(content.replace(' ', '-'));
      Files.writeString(p, content);
      Files.setLastModifiedTime(
          p, FileTime.fromMillis(1_600_000_000_000L + content.length() * 1000L));
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Installer installer;

  private static synchronized Installer installer() {
    if (installer == null) installer = Installer.lazy(EventSink.NONE);
    return installer;
  }

  /** Envoy (a raw binary double) from the test mirror serving that version. */
  static BinaryResource envoy(String version) {
    TestMirror m = version.equals("1.26.8") ? Examples.mirror() : otherEnvoy;
    String path = "/envoyproxy/envoy/releases/download/v" + version + "/";
    String file = "envoy-" + version + "-linux-x86_64";
    Verification v =
        new Verification.ChecksumsFile(
            m.url() + path + "checksums.txt.asc",
            file,
            new Verification.ClearsignedBodyOnly(m.url() + path + "checksums.txt"));
    return new BinaryResource(
        installer()
            .source(
                new Artifact(
                    "envoy " + version,
                    m.url() + path + file,
                    "https://github.com" + path + file,
                    v,
                    Artifact.Packing.RAW,
                    Optional.empty(),
                    "/usr/bin/envoy",
                    0755)));
  }

  private static void rewrite(Path file, Predicate<String> keep) {
    try {
      Files.write(file, Files.readAllLines(file).stream().filter(keep).toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A recording double of systemd-sysusers (not the real program): adds the requested user and
   * group to the root's account files, with the ids of whoever runs the tests, as root would with
   * new ids; records the argument lists.
   */
  static final class SysusersDouble implements Exec {
    final List<List<String>> ran = new ArrayList<>();
    private final Path root;

    SysusersDouble(Path root) {
      this.root = root;
    }

    @Override
    public ExecResult run(List<String> argv, Duration timeout, byte[] stdin) {
      ran.add(argv);
      if (!argv.get(0).equals("systemd-sysusers"))
        throw new AssertionError("unexpected command: " + argv);
      String name = new String(stdin, StandardCharsets.UTF_8).split(" ")[1];
      try {
        String ids =
            Files.getAttribute(root, "unix:uid") + ":" + Files.getAttribute(root, "unix:gid");
        if (Files.readAllLines(root.resolve("etc/passwd")).stream()
            .noneMatch(l -> l.startsWith(name + ":"))) {
          Files.writeString(
              root.resolve("etc/passwd"),
              name + ":x:" + ids + "::/:/usr/sbin/nologin\n",
              StandardOpenOption.APPEND);
        }
        Files.writeString(
            root.resolve("etc/group"),
            name + ":x:" + ids.split(":")[1] + ":\n",
            StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return new ExecResult(argv, 0, "", "");
    }
  }

  private Host host() throws IOException {
    Roots.withUsers(root);
    return new RecordingHost(root, new SysusersDouble(root));
  }

  private RunResult apply(Resource r, Host host) {
    Engine e = new Engine(EventSink.NONE);
    return e.apply(e.plan(List.of(r), host), host, n -> List.of(), Instant.now());
  }

  @ParameterizedTest
  @MethodSource("cases")
  void createsWhenAbsent_noopWhenEqual_updatesOnlyChanged_planNeverMutates(Case c)
      throws Exception {
    Host host = host();
    Engine engine = new Engine(EventSink.NONE);

    // plan never mutates: observing through the read-only host, and converging through it throws
    var before = Roots.snapshot(root);
    List<Planned> plan = engine.plan(List.of(c.make().apply(c.first())), host);
    assertThat(Roots.snapshot(root)).isEqualTo(before);
    assertThat(plan.get(0).change().kind()).isEqualTo(Change.Kind.CREATE);
    Resource planned = plan.get(0).resource();
    if (planned.hasPreparation()) {
      assertThatThrownBy(() -> planned.prepare(host.readOnly()))
          .isInstanceOf(MutationDuringPlanException.class);
    }
    assertThatThrownBy(() -> planned.converge(host.readOnly(), plan.get(0).observed()))
        .isInstanceOf(MutationDuringPlanException.class);
    assertThat(Roots.snapshot(root)).isEqualTo(before);

    // creates when absent
    RunResult first = apply(c.make().apply(c.first()), host);
    assertThat(first.failed()).as(first.error()).isFalse();
    assertThat(first.changed()).isEqualTo(1);

    // does nothing when equal: zero changes and not a byte or an mtime rewritten (each file's
    // mtime is in the snapshot: a rewrite would have to land in the same millisecond to hide,
    // so the files' mtimes are first set one minute back)
    backdate(root);
    var converged = Roots.snapshot(root);
    RunResult again = apply(c.make().apply(c.first()), host);
    assertThat(again.changed()).isZero();
    assertThat(Roots.snapshot(root)).isEqualTo(converged);

    // updates only what changed
    c.drift().accept(root);
    Resource second = c.make().apply(c.second());
    Change change = engine.plan(List.of(second), host).get(0).change();
    assertThat(change.fields())
        .extracting(f -> f.field())
        .containsExactlyElementsOf(c.changedFields());
    assertThat(change.kind())
        .isEqualTo(c.name().equals("absent") ? Change.Kind.DELETE : Change.Kind.UPDATE);
    if (c.name().equals("secret file")) {
      assertThat(change.fields())
          .allSatisfy(
              f -> {
                assertThat(f.to()).doesNotContain("bbbb");
                assertThat(f.from()).doesNotContain("aaaa");
              });
    }
    RunResult updated = apply(second, host);
    assertThat(updated.failed()).as(updated.error()).isFalse();
    assertThat(updated.changed()).isEqualTo(1);
    assertThat(apply(c.make().apply(c.second()), host).changed()).isZero();
  }

  /**
   * Sets every regular file's mtime one minute back (not the copy's: its mtime is its identity).
   */
  private static void backdate(Path root) throws IOException {
    FileTime past = FileTime.fromMillis(System.currentTimeMillis() - 60_000);
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
        if (!p.toString().endsWith(".jar")) Files.setLastModifiedTime(p, past);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("withMode")
  void metadataOnlyChange_keepsTheInode(String name, String path, Case c) throws Exception {
    Host host = host();
    RunResult created = apply(c.make().apply(c.first()), host);
    assertThat(created.failed()).as(created.error()).isFalse();
    Path p = root.resolve(path.substring(1));
    Object inode = Files.getAttribute(p, "unix:ino");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxrwxrwx"));
    RunResult r = apply(c.make().apply(c.first()), host);
    assertThat(r.failed()).as(r.error()).isFalse();
    assertThat(r.changed()).isEqualTo(1);
    assertThat(r.outcomes().get(0).fields()).extracting(f -> f.field()).containsExactly("mode");
    assertThat(Files.getAttribute(p, "unix:ino")).isEqualTo(inode);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("notifying")
  void notifications_onlyWhenChanged(String name, Supplier<Resource> make) throws Exception {
    Host host = host();
    Engine e = new Engine(EventSink.NONE);
    List<Notification> seen = new ArrayList<>();
    RunResult r =
        e.apply(
            e.plan(List.of(make.get()), host),
            host,
            n -> {
              seen.addAll(n);
              return List.of();
            },
            Instant.now());
    assertThat(r.failed()).as(r.error()).isFalse();
    assertThat(seen).containsExactly(Notification.restart("x.service"));
    seen.clear();
    e.apply(
        e.plan(List.of(make.get()), host),
        host,
        n -> {
          seen.addAll(n);
          return List.of();
        },
        Instant.now());
    assertThat(seen).isEmpty();
  }
}
