package dev.consulvmagent.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.testing.Gpg;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verifier against a real HashiCorp release signature, and against throwaway keys made with gpg
 * at faked times (expired and revoked signing subkeys).
 */
class PgpVerifierTest {
  private static final String REAL = "real/terraform-provider-null_3.1.0_SHA256SUMS";
  static byte[] sums;
  static byte[] sig;

  @BeforeAll
  static void load() throws IOException {
    sums = resource(REAL);
    sig = resource(REAL + ".sig");
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = PgpVerifierTest.class.getResourceAsStream(name)) {
      return in.readAllBytes();
    }
  }

  private static PgpVerifier hashicorp() {
    return PgpVerifier.fromResource(Artifacts.HASHICORP_KEY);
  }

  /** hashicorp/terraform's testProviderShaSums + testHashicorpSignatureGoodBase64 (see README). */
  @Test
  void realHashicorpSignature_byTheSinceExpiredSubkey_verifies() {
    assertThat(new String(sums, StandardCharsets.UTF_8))
        .contains(
            "53e30545ff8926a8e30ad30648991ca8b93b6fa496272cd23b26763c8ee84515"
                + "  terraform-provider-null_3.1.0_linux_amd64.zip");
    assertThat(hashicorp().hasKey(0xB0B441097685B676L))
        .isTrue(); // signed 2021-04-22, expired 2022-04-20
    assertThatCode(() -> hashicorp().verifyDetached(sums, sig, "null 3.1.0"))
        .doesNotThrowAnyException();
  }

  @Test
  void realHashicorpSignature_gpgAgrees(@TempDir Path dir) throws Exception {
    Path home = Files.createDirectories(dir.resolve("gnupg"));
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
    Path key = dir.resolve("key.asc");
    try (InputStream in = PgpVerifier.class.getResourceAsStream(Artifacts.HASHICORP_KEY)) {
      Files.write(key, in.readAllBytes());
    }
    Files.write(dir.resolve("sums"), sums);
    Files.write(dir.resolve("sums.sig"), sig);
    assertThat(gpg(home, "--import", key.toString()).exit).isZero();
    Result r =
        gpg(home, "--verify", dir.resolve("sums.sig").toString(), dir.resolve("sums").toString());
    assertThat(r.exit).isZero();
    assertThat(r.err)
        .contains("Good signature from \"HashiCorp Security")
        .contains("B0B4 4109 7685 B676");
  }

  /** Every single-byte change to either file is refused (no byte goes unchecked). */
  @Test
  void realHashicorpSignature_anyOneByteChange_isRefused() {
    PgpVerifier v = hashicorp();
    for (int i = 0; i < sums.length; i++) {
      byte[] changed = sums.clone();
      changed[i] ^= 0x01;
      int at = i;
      assertThatThrownBy(() -> v.verifyDetached(changed, sig, "sums"))
          .as("sums byte %d", at)
          .isInstanceOf(SignatureException.class);
    }
    List<Integer> accepted = new ArrayList<>();
    for (int i = 0; i < sig.length; i++) {
      byte[] changed = sig.clone();
      changed[i] ^= 0x01;
      try {
        v.verifyDetached(sums, changed, "sums");
        accepted.add(i);
      } catch (SignatureException expected) {
        // refused
      }
    }
    assertThat(accepted).as("signature bytes whose change went unnoticed").isEmpty();
  }

  @Test
  void realHashicorpSignature_overAnotherDocument_isBad() {
    byte[] other =
        new String(sums, StandardCharsets.UTF_8)
            .replace("53e30545", "00000000")
            .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> hashicorp().verifyDetached(other, sig, "null 3.1.0"))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("BAD signature");
  }

  /** The whole resolver path, as for a Consul release: signed list, then the asset's line. */
  @Test
  void realHashicorpSignature_throughTheChecksumResolver(@TempDir Path dir) throws Exception {
    Path list = Files.write(dir.resolve("terraform-provider-null_3.1.0_SHA256SUMS"), sums);
    Path s = Files.write(dir.resolve("terraform-provider-null_3.1.0_SHA256SUMS.72D7468F.sig"), sig);
    Artifact a =
        new Artifact(
            "null 3.1.0",
            "https://releases.hashicorp.com/x.zip",
            "x",
            new Verification.ChecksumsFile(
                list.toUri().toString(),
                "terraform-provider-null_3.1.0_linux_amd64.zip",
                new Verification.Detached(s.toUri().toString(), null, Artifacts.HASHICORP_KEY)),
            Artifact.Packing.ZIP,
            Optional.empty(),
            "/usr/bin/x",
            0755);
    ChecksumResolver r = new ChecksumResolver(Downloader.defaults(), ChecksumResolver.pinnedKeys());
    assertThat(r.expectedSha256(a))
        .isEqualTo("53e30545ff8926a8e30ad30648991ca8b93b6fa496272cd23b26763c8ee84515");
    Files.write(list, new String(sums, StandardCharsets.UTF_8).replace("53e3", "53e4").getBytes());
    assertThatThrownBy(() -> r.expectedSha256(a))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("BAD signature");
  }

  // ---- throwaway keys at faked times --------------------------------------------------------

  @Test
  void expiredSubkey_validBeforeExpiry_refusedAfter(@TempDir Path dir) throws Exception {
    Keys k = new Keys(dir);
    String sub = k.addSigningSubkey("2020-01-01");
    byte[] early = k.sign(sub, "2020-06-01");
    byte[] late = k.sign(sub, "2021-06-01");
    k.run(
        "2020-02-01",
        "--quick-set-expire",
        k.primary,
        "2021-01-01",
        sub); // binding sig with expiry
    PgpVerifier v = new PgpVerifier(k.publicKey());
    assertThatCode(() -> v.verifyDetached(k.data, early, "early")).doesNotThrowAnyException();
    assertThatThrownBy(() -> v.verifyDetached(k.data, late, "late"))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("expired 2021-01-01");
  }

  @Test
  void supersededSubkey_validBeforeRevocation_refusedAfter(@TempDir Path dir) throws Exception {
    Keys k = new Keys(dir);
    String sub = k.addSigningSubkey("2020-01-01");
    byte[] before = k.sign(sub, "2020-03-01");
    byte[] after = k.sign(sub, "2020-05-01");
    k.revokeFirstSubkey("2020-04-01", "2"); // gpg menu 2: "Key is superseded"
    PgpVerifier v = new PgpVerifier(k.publicKey());
    assertThatCode(() -> v.verifyDetached(k.data, before, "before")).doesNotThrowAnyException();
    assertThatThrownBy(() -> v.verifyDetached(k.data, after, "after"))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("revoked 2020-04-01");
  }

  @Test
  void compromisedSubkey_voidsEverySignature(@TempDir Path dir) throws Exception {
    Keys k = new Keys(dir);
    String sub = k.addSigningSubkey("2020-01-01");
    byte[] before = k.sign(sub, "2020-03-01");
    k.revokeFirstSubkey("2020-04-01", "1"); // gpg menu 1: "Key has been compromised"
    PgpVerifier v = new PgpVerifier(k.publicKey());
    assertThatThrownBy(() -> v.verifyDetached(k.data, before, "before"))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("compromised");
  }

  @Test
  void expiredPrimary_refusesLaterSignaturesOfItsSubkeys(@TempDir Path dir) throws Exception {
    Keys k = new Keys(dir);
    String sub = k.addSigningSubkey("2020-01-01");
    byte[] early = k.sign(sub, "2020-06-01");
    byte[] late = k.sign(sub, "2021-06-01");
    k.run("2020-02-01", "--quick-set-expire", k.primary, "2021-01-01");
    PgpVerifier v = new PgpVerifier(k.publicKey());
    assertThatCode(() -> v.verifyDetached(k.data, early, "early")).doesNotThrowAnyException();
    assertThatThrownBy(() -> v.verifyDetached(k.data, late, "late"))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("expired");
  }

  /** A gpg home whose clock is faked per command (gpg --faked-system-time). */
  private static final class Keys {
    final Path home;
    final Path file;
    final byte[] data = "0123  some_release.zip\n".getBytes(StandardCharsets.UTF_8);
    final String primary;

    Keys(Path dir) throws Exception {
      home = Files.createDirectories(dir.resolve("gnupg"));
      Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
      file = dir.resolve("SHA256SUMS");
      Files.write(file, data);
      run(
          "2020-01-01",
          "--quick-gen-key",
          "Test Release <release@example.invalid>",
          "ed25519",
          "cert",
          "never");
      primary = fingerprints().get(0);
    }

    List<String> fingerprints() throws Exception {
      return gpg(home, "--with-colons", "--list-keys")
          .out
          .lines()
          .filter(l -> l.startsWith("fpr:"))
          .map(l -> l.split(":")[9])
          .toList();
    }

    String addSigningSubkey(String day) throws Exception {
      run(day, "--quick-add-key", primary, "ed25519", "sign", "never");
      List<String> f = fingerprints();
      return f.get(f.size() - 1);
    }

    byte[] sign(String subkey, String day) throws Exception {
      Path out = file.resolveSibling("sig-" + day);
      run(
          day,
          "--local-user",
          subkey + "!",
          "--output",
          out.toString(),
          "--detach-sign",
          file.toString());
      return Files.readAllBytes(out);
    }

    /** gpg --edit-key: "key 1", "revkey", reason (1 compromised, 2 superseded, 3 retired). */
    void revokeFirstSubkey(String day, String reason) throws Exception {
      String script = "key 1\nrevkey\ny\n" + reason + "\n\ny\nsave\n";
      feed(script, day, "--command-fd", "0", "--edit-key", primary);
    }

    byte[] publicKey() throws Exception {
      return gpg(home, "--armor", "--export").out.getBytes(StandardCharsets.US_ASCII);
    }

    void run(String day, String... args) throws Exception {
      feed(null, day, args);
    }

    void feed(String stdin, String day, String... args) throws Exception {
      String at =
          LocalDate.parse(day)
              .atStartOfDay(ZoneOffset.UTC)
              .format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss"));
      List<String> all = new ArrayList<>(List.of("--faked-system-time", at + "!"));
      all.addAll(List.of(args));
      Result r = gpgFed(home, stdin, all.toArray(String[]::new));
      if (r.exit != 0) throw new IOException("gpg " + all + " failed: " + r.err);
    }
  }

  private record Result(int exit, String out, String err) {}

  private static Result gpg(Path home, String... args) throws Exception {
    return gpgFed(home, null, args);
  }

  private static Result gpgFed(Path home, String stdin, String... args) throws Exception {
    List<String> cmd = Gpg.command(home, args);
    Path err = Files.createTempFile(home, "err", ".txt");
    Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
    try (var in = p.getOutputStream()) {
      if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("gpg timed out: " + cmd);
    }
    return new Result(p.exitValue(), out, Files.readString(err));
  }
}
