package dev.consulvmagent.app;

import dev.consulvmagent.host.SecretFiles;
import dev.consulvmagent.secure.IntroToken;
import dev.consulvmagent.secure.MeshDir;
import dev.consulvmagent.secure.UserDataSecurity;
import dev.consulvmagent.spec.ConsulSpec;
import dev.consulvmagent.spec.FleetSpec;
import dev.consulvmagent.spec.UserData;
import dev.consulvmagent.spec.Validators;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator's side of the secure mesh (issue 19), on the operator's machine, without Consul:
 * {@code mesh init DIR} makes the mesh's secrets once, {@code mesh user-data} completes a machine's
 * user-data with only what that machine needs. Secrets go to 0600 files or a pipe, never to a
 * terminal; what is reported names files and keys, never their content.
 */
public final class MeshOperator {
  private MeshOperator() {}

  /** A failure with its exit code: 2 for a usage error, 1 for a secrets directory problem. */
  public static final class MeshFailure extends RuntimeException {
    private final int exitCode;

    MeshFailure(int exitCode, String message) {
      super(message);
      this.exitCode = exitCode;
    }

    public int exitCode() {
      return exitCode;
    }
  }

  /** One line of init's report: a file and whether it was created or kept. */
  public record InitLine(String file, boolean created, String note) {}

  public static List<InitLine> init(
      Path dir, String datacenter, String domain, List<String> servers) {
    try {
      List<MeshDir.ServerName> names = new ArrayList<>();
      for (String s : servers) names.add(MeshDir.ServerName.parse(s));
      List<InitLine> out = new ArrayList<>();
      for (MeshDir.Entry e : MeshDir.init(dir, datacenter, domain, names, Instant.now()))
        out.add(new InitLine(dir.resolve(e.file()).toString(), e.created(), e.note()));
      return out;
    } catch (IllegalArgumentException e) {
      throw new MeshFailure(2, e.getMessage());
    } catch (IllegalStateException e) {
      throw new MeshFailure(1, e.getMessage());
    }
  }

  /** What user-data reports: where it went, the role and the security keys it holds. */
  public record UserDataResult(String where, String role, List<String> keys) {}

  /**
   * Renders machine's user-data from template into out (0600), or to stdout when out is empty and
   * stdout is not a terminal.
   */
  public static UserDataResult userData(
      Path dir,
      String machine,
      Path template,
      Optional<String> service,
      String ttl,
      List<String> meshServices,
      Optional<Path> out,
      OutputStream stdout) {
    Duration d = ttl(ttl);
    for (String s : meshServices) {
      if (!Validators.isServiceName(s)) {
        throw new MeshFailure(2, "--mesh-service: not a service name: " + safe(s));
      }
    }
    if (out.isEmpty() && SecretFiles.stdoutIsTerminal()) {
      throw new MeshFailure(
          2,
          "the user-data holds secrets and standard output is a terminal: write it to a file"
              + " (-o FILE, created 0600) or pipe it into your cloud's CLI");
    }
    MeshDir mesh;
    UserDataSecurity.Rendered r;
    try {
      mesh = MeshDir.open(dir);
      byte[] raw = UserData.read(template);
      r =
          UserDataSecurity.render(
              raw,
              mesh,
              new UserDataSecurity.Request(
                  machine,
                  service,
                  d,
                  RunOptions.DEFAULT_CONFIG,
                  Instant.now(),
                  meshServices.isEmpty() ? siblingServices(template) : meshServices,
                  siblingFleetGroups(template)));
    } catch (IllegalArgumentException e) {
      throw new MeshFailure(2, e.getMessage());
    } catch (IllegalStateException e) {
      throw new MeshFailure(1, e.getMessage());
    }
    String role = r.role() == ConsulSpec.Role.SERVER ? "server" : "client";
    if (out.isPresent()) {
      SecretFiles.replace(out.get(), r.userData());
      return new UserDataResult(out.get().toString(), role, r.keys());
    }
    try {
      stdout.write(r.userData());
      stdout.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the user-data: " + e.getMessage(), e);
    }
    return new UserDataResult("standard output", role, r.keys());
  }

  /**
   * For a server: the services of the client templates beside its own (cloud-init/*.yaml), which
   * security.services lists so each may manage its own intentions (board CONTRACT CHANGE 03:00).
   */
  static List<String> siblingServices(Path template) {
    Path dir = template.toAbsolutePath().getParent();
    List<String> out = new ArrayList<>();
    if (dir == null) return out;
    for (Path p : SecretFiles.list(dir, ".yaml")) {
      if (p.getFileName().equals(template.getFileName())) continue;
      try {
        UserDataSecurity.clientService(UserData.read(p), RunOptions.DEFAULT_CONFIG)
            .filter(s -> !out.contains(s))
            .ifPresent(out::add);
      } catch (RuntimeException e) {
        // not a template: skipped
      }
    }
    return out;
  }

  /**
   * For a server: the fleet groups of the client templates beside its own, which
   * security.fleet_groups lists so each group's watchers get a role (issue 22). Two templates
   * naming one group under different KV prefixes are refused: a group's role holds one prefix.
   */
  static List<String> siblingFleetGroups(Path template) {
    Path dir = template.toAbsolutePath().getParent();
    List<String> out = new ArrayList<>();
    if (dir == null) return out;
    for (Path p : SecretFiles.list(dir, ".yaml")) {
      if (p.getFileName().equals(template.getFileName())) continue;
      Optional<String> g;
      try {
        g = UserDataSecurity.clientFleetGroup(UserData.read(p), RunOptions.DEFAULT_CONFIG);
      } catch (RuntimeException e) {
        continue; // not a template: skipped
      }
      if (g.isEmpty() || out.contains(g.get())) continue;
      String group = FleetSpec.ofGroupEntry(g.get()).orElseThrow().group();
      for (String o : out)
        if (FleetSpec.ofGroupEntry(o).orElseThrow().group().equals(group))
          throw new MeshFailure(
              2,
              "fleet group "
                  + group
                  + " is under two KV prefixes in the templates beside "
                  + template
                  + " ("
                  + o
                  + ", "
                  + g.get()
                  + "); use one fleet.kv_prefix per group");
      out.add(g.get());
    }
    return out;
  }

  private static final Pattern TTL = Pattern.compile("([0-9]{1,6})([smhd])");

  /** --ttl: 30m, 24h, 7d (between 5 minutes and 30 days). */
  static Duration ttl(String s) {
    Matcher m = TTL.matcher(s);
    if (!m.matches()) {
      throw new MeshFailure(2, "--ttl: a number and s, m, h or d (e.g. 24h), not " + safe(s));
    }
    long n = Long.parseLong(m.group(1));
    Duration d =
        switch (m.group(2)) {
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
    if (d.compareTo(IntroToken.MIN_TTL) < 0 || d.compareTo(IntroToken.MAX_TTL) > 0) {
      throw new MeshFailure(
          2,
          "--ttl "
              + s
              + " is outside 5m..30d: the intro JWT must outlive the machine's first boot and"
              + " expire soon after (on Consul < 1.11.9 its exp is the only limit on a replay)");
    }
    return d;
  }

  private static String safe(String s) {
    String t = s.replaceAll("[^\\x20-\\x7e]", "?");
    return "'" + (t.length() > 40 ? t.substring(0, 40) + "…" : t) + "'";
  }
}
