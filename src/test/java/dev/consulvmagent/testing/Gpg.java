package dev.consulvmagent.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * A throwaway OpenPGP key made with gpg for tests: a primary certification key with a separate
 * signing subkey, as HashiCorp's release key has.
 */
public final class Gpg {
  private final Path home;

  public Gpg(Path dir) throws IOException, InterruptedException {
    this.home = Files.createDirectories(dir.resolve("gnupg"));
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
    run("--quick-gen-key", "Test Release <release@example.invalid>", "rsa2048", "cert", "never");
    String fpr =
        new String(run("--list-secret-keys", "--with-colons"))
            .lines()
            .filter(l -> l.startsWith("fpr:"))
            .findFirst()
            .orElseThrow()
            .split(":")[9];
    run("--quick-add-key", fpr, "rsa2048", "sign", "never");
  }

  public byte[] publicKey() throws IOException, InterruptedException {
    return run("--armor", "--export");
  }

  public byte[] detachSign(Path file) throws IOException, InterruptedException {
    Path sig = file.resolveSibling(file.getFileName() + ".sig");
    run("--output", sig.toString(), "--detach-sign", file.toString());
    return Files.readAllBytes(sig);
  }

  public byte[] clearSign(Path file) throws IOException, InterruptedException {
    Path out = file.resolveSibling(file.getFileName() + ".asc");
    run("--output", out.toString(), "--clearsign", file.toString());
    return Files.readAllBytes(out);
  }

  /** gpg on a throwaway home, unattended, no passphrase, then args (an argument list). */
  public static List<String> command(Path home, String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "gpg",
                "--homedir",
                home.toString(),
                "--batch",
                "--yes",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                ""));
    cmd.addAll(List.of(args));
    return cmd;
  }

  private byte[] run(String... args) throws IOException, InterruptedException {
    List<String> cmd = command(home, args);
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (p.waitFor() != 0) throw new IOException("gpg failed: " + cmd);
    return out;
  }
}
