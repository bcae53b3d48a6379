package dev.consulvmagent.secure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.cli.Main;
import dev.consulvmagent.host.SecretFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mesh init: what it makes, with which modes, and that it never overwrites. */
class MeshInitTest {
  @TempDir Path tmp;

  static Map<Path, String> snapshot(Path dir) throws Exception {
    Map<Path, String> m = new HashMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) m.put(p, Files.readString(p));
    }
    return m;
  }

  static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new String[] {String.valueOf(code), out.toString(), err.toString()};
  }

  @Test
  void init_makesEveryFile0600_inA0700Dir_andPrintsNoSecret() throws Exception {
    Path dir = tmp.resolve("mesh");
    String[] r = run("mesh", "init", dir.toString(), "--server", "consul-server=192.0.2.10");
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(SecretFiles.mode(dir)).isEqualTo(0700);
    assertThat(SecretFiles.mode(dir.resolve("servers"))).isEqualTo(0700);
    Map<Path, String> files = snapshot(dir);
    assertThat(files.keySet().stream().map(p -> dir.relativize(p).toString()))
        .containsExactlyInAnyOrder(
            "mesh.json",
            "ca.pem",
            "ca-key.pem",
            "gossip.key",
            "jwt-signing-key.pem",
            "jwt-public-key.pem",
            "management.token",
            "server-agent.token",
            "servers/consul-server.pem",
            "servers/consul-server-key.pem");
    for (Path p : files.keySet()) assertThat(SecretFiles.mode(p)).as(p.toString()).isEqualTo(0600);
    // what consul keygen makes (real 1.8.7: `consul keygen | base64 -d | wc -c` is 32)
    assertThat(Base64.getDecoder().decode(files.get(dir.resolve("gossip.key")).strip()))
        .hasSize(32);
    assertThat(files.get(dir.resolve("management.token")).strip())
        .matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    assertThat(files.get(dir.resolve("management.token")))
        .isNotEqualTo(files.get(dir.resolve("server-agent.token")));
    // the report names files, never contents
    MeshFixture f = new MeshFixture(dir);
    for (String secret : f.neverOnAClient("consul-server"))
      assertThat(r[1] + r[2]).doesNotContain(secret);
  }

  @Test
  void serverCertificate_hasConsulsServerNames_andChainsToTheCa() throws Exception {
    MeshFixture f =
        new MeshFixture(tmp.resolve("m"), "srv1=192.0.2.10,10.0.0.5,consul.example.com");
    X509Certificate ca = Pki.certificate(f.file("ca.pem"), "ca");
    X509Certificate c = Pki.certificate(f.file("servers/srv1.pem"), "srv1");
    c.verify(ca.getPublicKey());
    c.checkValidity();
    assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0); // a CA
    assertThat(c.getBasicConstraints()).isEqualTo(-1); // not a CA
    // consul tls cert create -server -node srv1 -additional-ipaddress … -additional-dnsname …
    assertThat(Pki.sans(c))
        .containsExactlyInAnyOrder(
            "srv1.server.dc1.consul",
            "server.dc1.consul",
            "localhost",
            "consul.example.com",
            "127.0.0.1",
            "192.0.2.10",
            "10.0.0.5");
    assertThat(c.getExtendedKeyUsage())
        .containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(c.getSubjectX500Principal().getName()).isEqualTo("CN=server.dc1.consul");
  }

  @Test
  void rerun_keepsEveryFileByteForByte_andAddsOnlyTheNewServer() throws Exception {
    Path dir = tmp.resolve("mesh");
    MeshDir.init(dir, "dc1", "consul", List.of(MeshDir.ServerName.parse("a")), Instant.now());
    Map<Path, String> before = snapshot(dir);
    List<MeshDir.Entry> again =
        MeshDir.init(
            dir,
            "dc1",
            "consul",
            List.of(MeshDir.ServerName.parse("a=192.0.2.99"), MeshDir.ServerName.parse("b")),
            Instant.now());
    Map<Path, String> after = snapshot(dir);
    for (Map.Entry<Path, String> e : before.entrySet())
      assertThat(after.get(e.getKey())).as(e.getKey().toString()).isEqualTo(e.getValue());
    assertThat(after).containsKeys(dir.resolve("servers/b.pem"), dir.resolve("servers/b-key.pem"));
    assertThat(again.stream().filter(MeshDir.Entry::created).map(MeshDir.Entry::file))
        .containsExactlyInAnyOrder("servers/b-key.pem", "servers/b.pem");
    // a's certificate was kept; the report says what it lacks
    assertThat(again)
        .anyMatch(e -> e.file().equals("servers/a.pem") && e.note().contains("192.0.2.99"));
  }

  @Test
  void anotherDatacenter_inTheSameDir_isRefused() {
    Path dir = tmp.resolve("mesh");
    MeshDir.init(dir, "dc1", "consul", List.of(), Instant.now());
    assertThatThrownBy(() -> MeshDir.init(dir, "dc2", "consul", List.of(), Instant.now()))
        .hasMessageContaining("datacenter dc1");
  }

  @Test
  void aDirOthersCanRead_isRefused_andNothingIsWritten() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("open"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    String[] r = run("mesh", "init", dir.toString());
    assertThat(r[0]).isEqualTo("1");
    assertThat(r[2]).contains("open to other users");
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.toList()).isEmpty();
    }
  }

  @Test
  void aSecretFileReplacedByALink_isRefused() throws Exception {
    Path dir = tmp.resolve("mesh");
    MeshDir.init(dir, "dc1", "consul", List.of(), Instant.now());
    Files.delete(dir.resolve("ca-key.pem"));
    Files.createSymbolicLink(dir.resolve("ca-key.pem"), tmp.resolve("elsewhere"));
    assertThatThrownBy(
            () ->
                MeshDir.init(
                    dir, "dc1", "consul", List.of(MeshDir.ServerName.parse("x")), Instant.now()))
        .hasMessageContaining("ca-key.pem");
    assertThat(Files.exists(tmp.resolve("elsewhere"))).isFalse();
  }

  @Test
  void badServerNames_areUsageErrors() {
    String dir = tmp.resolve("mesh").toString();
    assertThat(run("mesh", "init", dir, "--server", "../etc")[0]).isEqualTo("2");
    assertThat(run("mesh", "init", dir, "--server", "a=not an address")[0]).isEqualTo("2");
    assertThat(Files.exists(tmp.resolve("mesh"))).isFalse();
  }
}
