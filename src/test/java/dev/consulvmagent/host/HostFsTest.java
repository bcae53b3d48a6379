package dev.consulvmagent.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.testing.Roots;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every HostFs operation, through a link planted in the middle of its path: refused, and the link's
 * target untouched. The same code serves a live host (root "/"), where the link would be e.g.
 * /etc/consul.d pointing elsewhere.
 */
class HostFsTest {
  @TempDir Path tmp;

  @AfterEach
  void removeLinks() throws Exception {
    try (Stream<Path> s = Files.walk(tmp)) {
      for (Path p : s.filter(Files::isSymbolicLink).toList()) Files.delete(p);
    }
  }

  static Stream<Arguments> operations() {
    Map<String, Consumer<HostFs>> ops = new LinkedHashMap<>();
    ops.put(
        "writeAtomic", fs -> fs.writeAtomic("/etc/consul.d/x.json", new byte[] {1}, 0640, -1, -1));
    ops.put("mkdir", fs -> fs.mkdir("/etc/consul.d/sub", 0755, -1, -1));
    ops.put("setAttributes", fs -> fs.setAttributes("/etc/consul.d/bait", 0777, -1, -1));
    ops.put("symlink", fs -> fs.symlink("/etc/consul.d/l", "/etc/shadow"));
    ops.put("delete", fs -> fs.delete("/etc/consul.d/bait"));
    ops.put("deleteTree", fs -> fs.deleteTree("/etc/consul.d/dir"));
    ops.put(
        "installCopy",
        fs -> fs.installCopy(Path.of("pom.xml"), "/etc/consul.d/c", 0644, -1, -1, 0));
    ops.put("createParents", fs -> fs.createParents(fs.root().resolve("etc/consul.d/new/x")));
    ops.put("openLockFile", fs -> fs.openLockFile("/etc/consul.d/run.lock"));
    // the host-path operations of the download cache and temp files
    ops.put("isRegularFile", fs -> fs.isRegularFile(at(fs, "bait")));
    ops.put("size", io(fs -> fs.size(at(fs, "bait"))));
    ops.put("openFile", io(fs -> fs.openFile(at(fs, "bait")).close()));
    ops.put("openChannel", io(fs -> fs.openChannel(at(fs, "bait")).close()));
    ops.put("deleteFile", io(fs -> fs.deleteFile(at(fs, "bait"))));
    ops.put("moveTemp", io(fs -> fs.moveTemp(at(fs, "x"), at(fs, "bait"))));
    ops.put("copyToTemp", io(fs -> fs.copyToTemp(at(fs, "bait"), at(fs, ".new"))));

    return ops.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  private static Path at(HostFs fs, String name) {
    return fs.root().resolve("etc/consul.d").resolve(name);
  }

  interface IoOp {
    void accept(HostFs fs) throws IOException;
  }

  private static Consumer<HostFs> io(IoOp op) {
    return fs -> {
      try {
        op.accept(fs);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
  }

  /** The cache's host-path reads refuse a final link too; its changes refuse a read-only view. */
  @Test
  void hostPathOperations_followNoFinalLink_andChangeNothingReadOnly() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root/cache"));
    Path out = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(out.resolve("secret"), "not yours");
    Files.createSymbolicLink(root.resolve("link"), out.resolve("secret"));
    Files.writeString(root.resolve("file"), "ours");
    HostFs fs = new HostFs(root.getParent(), false);
    Path link = root.resolve("link");
    Path file = root.resolve("file");

    assertThat(fs.isRegularFile(link)).isFalse();
    assertThat(fs.isRegularFile(file)).isTrue();
    assertThatThrownBy(() -> fs.openFile(link)).isInstanceOf(UnsafePathException.class);
    assertThatThrownBy(() -> fs.openChannel(link)).isInstanceOf(FileSystemException.class);
    assertThatThrownBy(() -> fs.copyToTemp(link, root.resolve(".t1")))
        .isInstanceOf(FileSystemException.class);
    assertThat(root.resolve(".t1")).doesNotExist();
    try (var in = fs.openFile(file)) {
      assertThat(in.readAllBytes()).isEqualTo("ours".getBytes());
    }

    HostFs ro = fs.readOnlyView();
    assertThatThrownBy(() -> ro.deleteFile(file)).isInstanceOf(MutationDuringPlanException.class);
    assertThatThrownBy(() -> ro.moveTemp(file, root.resolve("moved")))
        .isInstanceOf(MutationDuringPlanException.class);
    assertThatThrownBy(() -> ro.copyToTemp(file, root.resolve(".t2")))
        .isInstanceOf(MutationDuringPlanException.class);
    assertThat(file).hasContent("ours");
    assertThat(root.resolve("moved")).doesNotExist();
    assertThat(root.resolve(".t2")).doesNotExist();

    fs.deleteFile(link); // the link goes, not what it points to
    assertThat(link).doesNotExist();
    assertThat(out.resolve("secret")).hasContent("not yours");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("operations")
  void throughAPlantedLink_isRefused_andTheTargetIsUntouched(String name, Consumer<HostFs> op)
      throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root/etc"));
    Path out = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(out.resolve("bait"), "not yours");
    Files.createDirectories(out.resolve("dir/x"));
    Files.writeString(out.resolve("x"), "");
    Files.createSymbolicLink(root.resolve("consul.d"), out);
    Map<String, String> before = Roots.snapshot(out);

    assertThatThrownBy(() -> op.accept(new HostFs(root.getParent(), false)))
        .isInstanceOf(UnsafePathException.class)
        .hasMessageContaining("consul.d is a symbolic link");
    assertThat(Roots.snapshot(out)).isEqualTo(before);
  }

  @Test
  void finalLink_isReplacedNotWrittenThrough_andNeverChowned() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root/etc"));
    Path bait = Files.writeString(tmp.resolve("bait"), "not yours");
    Files.createSymbolicLink(root.resolve("passwd"), bait);
    HostFs fs = new HostFs(root.getParent(), false);
    assertThatThrownBy(() -> fs.readIfExists("/etc/passwd"))
        .isInstanceOf(UnsafePathException.class);
    assertThatThrownBy(() -> fs.setAttributes("/etc/passwd", 0777, -1, -1))
        .isInstanceOf(UnsafePathException.class);
    fs.writeAtomic("/etc/passwd", new byte[] {'x'}, 0644, -1, -1);
    assertThat(root.resolve("passwd")).isRegularFile().hasContent("x");
    assertThat(bait).hasContent("not yours");
  }

  @Test
  void looking_followsLinksAmongParentsOnlyInsideTheRoot() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Files.createDirectories(root.resolve("usr/lib/systemd"));
    Files.writeString(root.resolve("usr/lib/systemd/systemd-resolved"), "x");
    Files.createSymbolicLink(root.resolve("lib"), Path.of("usr/lib")); // merged /usr
    Path out = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(out.resolve("secret"), "not yours");
    Files.createDirectories(root.resolve("etc"));
    Files.createSymbolicLink(root.resolve("etc/abs"), out); // absolute: taken inside the root
    Files.createSymbolicLink(root.resolve("etc/rel"), Path.of("../../outside")); // leads out
    HostFs fs = new HostFs(root, false);

    assertThat(fs.exists("/lib/systemd/systemd-resolved")).isTrue();
    assertThat(fs.readIfExists("/etc/abs/secret")).isEmpty();
    assertThatThrownBy(() -> fs.readIfExists("/etc/rel/secret"))
        .isInstanceOf(UnsafePathException.class);
    assertThatThrownBy(() -> fs.writeAtomic("/lib/systemd/x", new byte[0], 0644, -1, -1))
        .isInstanceOf(UnsafePathException.class);
  }

  @Test
  void createDirsWithFile_isOneStep_andSweepsWhatAKilledAttemptLeft() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Path stale = Files.createDirectories(root.resolve(".var.tmp-0ld/lib"));
    Files.setLastModifiedTime(stale.getParent(), FileTime.fromMillis(0));
    HostFs fs = new HostFs(root, false);
    assertThat(fs.createDirsWithFile("/var/lib/agent", "owned.json", "{}".getBytes(), 0600))
        .isTrue();
    assertThat(root.resolve("var/lib/agent/owned.json")).hasContent("{}");
    assertThat(stale.getParent()).doesNotExist();
    assertThat(fs.createDirsWithFile("/var/lib/agent", "owned.json", "x".getBytes(), 0600))
        .isFalse();
    assertThat(root.resolve("var/lib/agent/owned.json")).hasContent("{}");
    try (Stream<Path> s = Files.list(root)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("var");
    }
  }

  @Test
  void deleteTree_removesLinksInside_neverWhatTheyPointAt() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root/var/lib/consul/raft")).getParent();
    Path out = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(out.resolve("keep"), "keep");
    Files.createSymbolicLink(root.resolve("evil"), out);
    Files.createSymbolicLink(root.resolve("raft/evil"), out.resolve("keep"));
    new HostFs(tmp.resolve("root"), false).deleteTree("/var/lib/consul");
    assertThat(tmp.resolve("root/var/lib/consul")).doesNotExist();
    assertThat(out.resolve("keep")).hasContent("keep");
  }

  @Test
  void specialFiles_areNotReadForever() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root/etc"));
    new ProcessBuilder("mkfifo", root.resolve("fifo").toString()).start().waitFor();
    assertThatThrownBy(() -> new HostFs(root.getParent(), false).readIfExists("/etc/fifo"))
        .hasMessageContaining("not a regular file");
  }

  @Test
  void aRootGivenThroughALink_isItsRealPath() throws Exception {
    Path real = Files.createDirectories(tmp.resolve("real"));
    Path alias = Files.createSymbolicLink(tmp.resolve("alias"), real);
    assertThat(new HostFs(alias, false).root()).isEqualTo(real.toRealPath());
    assertThat(new HostFs(alias.resolve("not/yet"), false).root())
        .isEqualTo(real.toRealPath().resolve("not/yet"));
  }
}
