package dev.consulvmagent.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the launcher ({@link Units#launcher(String)}) for real under sh, with a stand-in {@code
 * java} script first on the PATH, a jar that is not one and its cache directory in a temp dir.
 */
final class LauncherRun {
  private LauncherRun() {}

  /** What the launcher printed (stand-in java's output included) and its exit status. */
  record Result(String output, int exitCode) {}

  static Result run(Path tmp, String javaScript, Map<String, String> env, String... args)
      throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path java = bin.resolve("java");
    Files.writeString(java, javaScript);
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    // written once: the archive's key is the jar's size and mtime, the same for every run of a test
    Path jar = tmp.resolve("agent.jar");
    if (!Files.exists(jar)) Files.writeString(jar, "not a jar");
    Path launcher = tmp.resolve("launcher");
    // the cache directory is the launcher's constant; point it into the temp dir
    Files.writeString(
        launcher,
        Units.launcher(jar.toString())
            .replace("cache=/var/cache/consul-vm-agent", "cache=" + tmp.resolve("cache")));
    ProcessBuilder pb = new ProcessBuilder();
    pb.command().add("sh");
    pb.command().add(launcher.toString());
    pb.command().addAll(List.of(args));
    pb.environment().put("PATH", bin + ":/usr/bin:/bin");
    pb.environment().remove("CONSUL_VM_AGENT_C1");
    pb.environment().putAll(env);
    Process p = pb.redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    return new Result(out, p.exitValue());
  }
}
