package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.resource.BinaryResource;
import dev.consulvmagent.testing.Roots;
import dev.consulvmagent.testing.TestMirror;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a receipt keeps of the program's bytes (ProgramDigest): the CRC-32 computed while a program
 * was unpacked from its verified archive (Consul's zip), the sha256 of one downloaded as it is
 * (Envoy, whose archive digest it is); a file whose mtime changed but whose bytes did not is still
 * intact, one whose bytes changed is not, and a receipt written before (a sha256 for Consul too)
 * still reads.
 */
class CliReceiptDigestTest {
  @TempDir Path tmp;
  TestMirror mirror;
  Path root;
  Path cfg;

  @BeforeEach
  void start() throws Exception {
    mirror = new TestMirror("1.16.6", "1.26.8");
    root = Roots.forApply(tmp.resolve("root"));
    cfg =
        Files.writeString(
            tmp.resolve("base.yaml"),
            "consul:\n  version: \"1.16.6\"\nenvoy:\n  version: \"1.26.8\"\n"
                + "downloads:\n  verify_signatures: false\n");
  }

  @AfterEach
  void stop() {
    mirror.close();
  }

  private CliBakeTest.Run bake() {
    return CliBakeTest.run(CliBakeTest.bakeArgs(cfg, root, mirror.url()));
  }

  private Path receipt(String program) {
    return root.resolve(BinaryResource.receiptPath(program).substring(1));
  }

  private Map<String, Object> receiptOf(String program) throws Exception {
    return Json.parseObject(Files.readAllBytes(receipt(program)));
  }

  private static String crc32(byte[] b) {
    CRC32 c = new CRC32();
    c.update(b);
    return HexFormat.of().toHexDigits((int) c.getValue());
  }

  @Test
  void unpackedProgram_keepsItsCrc32_aRawOne_itsSha256() throws Exception {
    CliBakeTest.Run r = bake();
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    Map<String, Object> consul = receiptOf("/usr/bin/consul");
    assertThat(consul.get("crc32"))
        .isEqualTo(crc32(Files.readAllBytes(root.resolve("usr/bin/consul"))));
    assertThat(consul).doesNotContainKey("sha256");
    assertThat(consul.get("archive_sha256")).isEqualTo(mirror.consulSha256("1.16.6"));
    Map<String, Object> envoy = receiptOf("/usr/bin/envoy");
    assertThat(envoy).doesNotContainKey("crc32");
    assertThat(envoy.get("sha256")).isEqualTo(envoy.get("archive_sha256"));
  }

  @Test
  void touchedButTheSameBytes_isIntact_changedBytes_areNot() throws Exception {
    assertThat(bake().code()).isZero();
    Path consul = root.resolve("usr/bin/consul");
    Files.setLastModifiedTime(consul, FileTime.fromMillis(1_600_000_000_000L));
    mirror.requests.clear();
    CliBakeTest.Run same = bake();
    assertThat(same.code()).as(same.out() + same.err()).isZero();
    assertThat(same.out()).doesNotContain("binary:/usr/bin/consul");
    assertThat(mirror.requests).noneMatch(p -> p.contains("/consul/"));

    byte[] b = Files.readAllBytes(consul);
    b[b.length / 2] ^= 1; // same size: only the CRC-32 tells
    Files.write(consul, b);
    Files.setLastModifiedTime(consul, FileTime.fromMillis(1_600_000_000_000L));
    CliBakeTest.Run changed = bake();
    assertThat(changed.code()).as(changed.out() + changed.err()).isZero();
    assertThat(changed.out()).contains("binary:/usr/bin/consul");
    assertThat(Files.readAllBytes(consul)).isNotEqualTo(b);
    assertThat(receiptOf("/usr/bin/consul").get("crc32"))
        .isEqualTo(crc32(Files.readAllBytes(consul)));
  }

  @Test
  void anEarlierReceipt_withTheProgramsSha256_stillReads() throws Exception {
    assertThat(bake().code()).isZero();
    Path consul = root.resolve("usr/bin/consul");
    String sha = HostFs.sha256(Files.readAllBytes(consul));
    Map<String, Object> earlier = new LinkedHashMap<>(receiptOf("/usr/bin/consul"));
    earlier.remove("crc32");
    earlier.put("sha256", sha); // what receipts said before ProgramDigest
    Files.write(receipt("/usr/bin/consul"), Json.render(earlier));
    Files.setLastModifiedTime(consul, FileTime.fromMillis(1_600_000_000_000L));
    CliBakeTest.Run same = bake();
    assertThat(same.code()).as(same.out() + same.err()).isZero();
    assertThat(same.out()).doesNotContain("binary:/usr/bin/consul");

    byte[] b = Files.readAllBytes(consul);
    b[b.length / 2] ^= 1;
    Files.write(consul, b);
    CliBakeTest.Run changed = bake();
    assertThat(changed.code()).as(changed.out() + changed.err()).isZero();
    assertThat(changed.out()).contains("binary:/usr/bin/consul");
    assertThat(HostFs.sha256(Files.readAllBytes(consul))).isEqualTo(sha);
  }
}
