package dev.consulvmagent.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Planned;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.MutationDuringPlanException;
import dev.consulvmagent.testing.FakeExec;
import dev.consulvmagent.testing.Roots;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The four tests every resource gets: creates when absent; updates only what changed; does
 * nothing when equal; never mutates during plan.
 */
class ResourceContractTest {
  @TempDir Path root;

  record Case(String name, Function<String, Resource> make, String first, String second, List<String> changedFields) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(new Case("file",
            v -> FileResource.at("/etc/demo/a.conf", v.getBytes(StandardCharsets.UTF_8)).mode(0640).owner("root", "consul").build(),
            "one\n", "two\n", List.of("content"))),
        Arguments.of(new Case("json file",
            v -> FileResource.at("/etc/consul.d/c.json", ("{\"datacenter\": \"" + v + "\", \"server\": true}\n").getBytes()).json().build(),
            "dc1", "dc2", List.of("content", "json.datacenter"))),
        Arguments.of(new Case("secret file",
            v -> FileResource.at("/etc/consul.d/s.json", ("{\"encrypt\": \"" + v + "\"}\n").getBytes()).json().sensitive().mode(0640).build(),
            "aaaa", "bbbb", List.of("content", "json.encrypt"))),
        Arguments.of(new Case("directory",
            v -> new DirectoryResource("/var/lib/demo", Integer.parseInt(v, 8), "consul", "consul"),
            "750", "755", List.of("mode"))),
        Arguments.of(new Case("symlink",
            v -> new SymlinkResource("/etc/systemd/system/multi-user.target.wants/x.service", v),
            "/etc/systemd/system/x.service", "/etc/systemd/system/y.service", List.of("target"))),
        Arguments.of(new Case("absent",
            v -> v.equals("keep") ? FileResource.at("/etc/gone", new byte[] {1}).build() : new AbsentResource("/etc/gone"),
            "keep", "drop", List.of())));
  }

  private RunResult apply(Resource r, Host host) {
    Engine e = new Engine(EventSink.NONE);
    return e.apply(e.plan(List.of(r), host), host, n -> List.of(), Instant.now());
  }

  @ParameterizedTest
  @MethodSource("cases")
  void createsWhenAbsent_updatesOnlyChanged_noopWhenEqual_planNeverMutates(Case c) throws Exception {
    Roots.withUsers(root);
    Host host = Roots.host(root, new FakeExec());
    Engine engine = new Engine(EventSink.NONE);

    // plan never mutates: observing through the read-only host, and converging through it throws
    var before = Roots.snapshot(root);
    List<Planned> plan = engine.plan(List.of(c.make().apply(c.first())), host);
    assertThat(Roots.snapshot(root)).isEqualTo(before);
    if (!c.name().equals("absent")) {
      assertThat(plan.get(0).change().kind()).isEqualTo(Change.Kind.CREATE);
    }
    assertThatThrownBy(() -> plan.get(0).resource().converge(host.readOnly(), plan.get(0).observed()))
        .isInstanceOf(MutationDuringPlanException.class);

    // creates when absent
    RunResult first = apply(c.make().apply(c.first()), host);
    assertThat(first.failed()).as(first.error()).isFalse();

    // does nothing when equal: zero changes and no rewrite
    var converged = Roots.snapshot(root);
    Thread.sleep(5);
    RunResult again = apply(c.make().apply(c.first()), host);
    assertThat(again.changed()).isZero();
    assertThat(Roots.snapshot(root)).isEqualTo(converged);

    // updates only what changed
    Resource second = c.make().apply(c.second());
    Change change = engine.plan(List.of(second), host).get(0).change();
    assertThat(change.fields()).extracting(f -> f.field()).containsExactlyElementsOf(c.changedFields());
    if (c.name().equals("secret file")) {
      assertThat(change.fields()).allSatisfy(f -> {
        assertThat(f.to()).doesNotContain("bbbb");
        assertThat(f.from()).doesNotContain("aaaa");
      });
    }
    RunResult updated = apply(second, host);
    assertThat(updated.failed()).as(updated.error()).isFalse();
    assertThat(updated.changed()).isEqualTo(1);
    assertThat(apply(c.make().apply(c.second()), host).changed()).isZero();
  }

  @ParameterizedTest
  @MethodSource("cases")
  void metadataOnlyChange_keepsTheInode(Case c) throws Exception {
    if (!c.name().equals("file")) return;
    Roots.withUsers(root);
    Host host = Roots.host(root, new FakeExec());
    apply(c.make().apply(c.first()), host);
    Object inode = Files.getAttribute(root.resolve("etc/demo/a.conf"), "unix:ino");
    Files.setPosixFilePermissions(root.resolve("etc/demo/a.conf"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
    RunResult r = apply(c.make().apply(c.first()), host);
    assertThat(r.changed()).isEqualTo(1);
    assertThat(r.outcomes().get(0).fields()).extracting(f -> f.field()).containsExactly("mode");
    assertThat(Files.getAttribute(root.resolve("etc/demo/a.conf"), "unix:ino")).isEqualTo(inode);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void notifications_onlyWhenChanged(Case c) throws Exception {
    if (!c.name().equals("file")) return;
    Roots.withUsers(root);
    Host host = Roots.host(root, new FakeExec());
    Engine e = new Engine(EventSink.NONE);
    Resource r = FileResource.at("/etc/x", new byte[] {1}).notify(Notification.restart("x.service")).build();
    List<Notification> seen = new java.util.ArrayList<>();
    e.apply(e.plan(List.of(r), host), host, n -> {
      seen.addAll(n);
      return List.of();
    }, Instant.now());
    assertThat(seen).containsExactly(Notification.restart("x.service"));
    seen.clear();
    e.apply(e.plan(List.of(r), host), host, n -> {
      seen.addAll(n);
      return List.of();
    }, Instant.now());
    assertThat(seen).isEmpty();
  }
}
