package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.resource.BinaryResource;
import dev.consulvmagent.testing.Roots;
import dev.consulvmagent.testing.TestMirror;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A program installed from an archive verified one way (a bake: the mirror's checksums file), then
 * a config that pins the archive's sha256 (an instance booted from the image): the same archive is
 * not installed again, and another archive — the pinned one — replaces the program, never a receipt
 * calling the old program pinned.
 */
class CliBinaryPinTest {
  @TempDir Path tmp;
  TestMirror mirror;

  @BeforeEach
  void start() throws Exception {
    mirror = new TestMirror("1.16.6", "1.26.8");
  }

  @AfterEach
  void stop() {
    mirror.close();
  }

  record Run(int code, String out, String err) {}

  private Run bake(Path root, String pin) throws Exception {
    Path cfg =
        Files.writeString(
            tmp.resolve("base.yaml"),
            "consul:\n  version: \"1.16.6\"\n"
                + (pin == null ? "" : "  sha256: \"" + pin + "\"\n")
                + "envoy:\n  version: \"1.26.8\"\ndownloads:\n  verify_signatures: false\n");
    CliBakeTest.Run r = CliBakeTest.run(CliBakeTest.bakeArgs(cfg, root, mirror.url()));
    return new Run(r.code(), r.out(), r.err());
  }

  @Test
  void pinningTheInstalledArchive_installsNothing() throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    assertThat(bake(root, null).code()).isZero();
    String installed = Files.readString(root.resolve("usr/bin/consul"));
    mirror.requests.clear();
    Run pinned = bake(root, mirror.consulSha256("1.16.6"));
    assertThat(pinned.code()).as(pinned.out() + pinned.err()).isZero();
    assertThat(pinned.out()).doesNotContain("binary:/usr/bin/consul");
    assertThat(mirror.requests).noneMatch(p -> p.contains("/consul/"));
    assertThat(Files.readString(root.resolve("usr/bin/consul"))).isEqualTo(installed);
  }

  @Test
  void pinningAnotherArchive_ofTheSameRelease_installsIt() throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    assertThat(bake(root, null).code()).isZero();
    assertThat(Files.readString(root.resolve("usr/bin/consul"))).doesNotContain("rebuilt");
    String other = mirror.replaceConsul("1.16.6", "rebuilt");
    Run pinned = bake(root, other);
    assertThat(pinned.code()).as(pinned.out() + pinned.err()).isZero();
    assertThat(pinned.out()).contains("binary:/usr/bin/consul");
    assertThat(Files.readString(root.resolve("usr/bin/consul"))).contains("consul-double rebuilt");
    assertThat(
            Files.readString(
                root.resolve(BinaryResource.receiptPath("/usr/bin/consul").substring(1))))
        .contains(other);
  }
}
