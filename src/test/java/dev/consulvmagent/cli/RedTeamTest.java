package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.Roots;
import dev.consulvmagent.testing.TestMirror;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Red-team cases against the whole CLI (issue 13) that the other hostile tests do not cover: each
 * one failed before its fix.
 */
class RedTeamTest {
  static TestMirror mirror;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    mirror = Examples.mirror();
  }

  private CliApplyTest.Run apply(Path root) {
    return CliApplyTest.run(
        "apply",
        "--config",
        Examples.config(tmp, "counting").toString(),
        "--root",
        root.toString(),
        "--mirror",
        mirror.url());
  }

  /**
   * A hard link planted in the tree shares its inode with a file outside the root: when only the
   * mode or owner differs, a chmod/chown in place would change the outside file too. The path gets
   * an inode of its own; the outside file keeps its mode, owner and content.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "etc/consul.d/consul.json",
        "etc/consul-vm-agent/envoy/counting.env",
        "usr/bin/consul",
        "etc/systemd/system/consul.service"
      })
  void hardLinkToAnOutsideFile_itsModeAndOwnerAreNeverChanged(String where) throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    CliApplyTest.Run first = apply(root);
    assertThat(first.code()).as(first.out() + first.err()).isEqualTo(ExitCode.OK.code());
    Path inside = root.resolve(where);
    Path outside = Files.createDirectories(tmp.resolve("outside")).resolve("shadow");
    Files.copy(inside, outside);
    Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rw-rw-rw-"));
    Files.delete(inside);
    Files.createLink(inside, outside);
    Object mode = Files.getAttribute(outside, "unix:mode");
    byte[] content = Files.readAllBytes(outside);

    CliApplyTest.Run r = apply(root);

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.OK.code());
    assertThat(Files.getAttribute(outside, "unix:mode")).as("outside file's mode").isEqualTo(mode);
    assertThat(Files.readAllBytes(outside)).isEqualTo(content);
    assertThat(Files.getAttribute(inside, "unix:nlink")).as("own inode now").isEqualTo(1);
    assertThat(Files.getAttribute(inside, "unix:mode")).isNotEqualTo(mode);
    assertThat(Files.readAllBytes(inside)).isEqualTo(content);
  }

  /**
   * A ledger edited to list paths the agent never records ("..", relative, "//", NUL, a user name
   * with a slash): uninstall refuses it whole, naming the entry, and removes nothing (it was an
   * internal error, exit 4, before; relative entries were silently skipped).
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "/../../outside/bait",
        "/etc/../../../outside/bait",
        "//outside/bait",
        "../../outside/bait",
        "etc/passwd",
        "/etc/pass\u0000wd",
        "user:../x",
        "user:root",
        "user:sshd",
        "\"unterminated"
      })
  void uninstall_ledgerListingAPathTheAgentNeverRecords_removesNothing(String entry)
      throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    assertThat(apply(root).code()).isEqualTo(ExitCode.OK.code());
    Path ledger = root.resolve("var/lib/consul-vm-agent/owned.json");
    String json = Files.readString(ledger);
    String forged = json.replaceFirst("\\[", "[ \"" + entry.replace("\\", "\\\\") + "\",");
    Files.writeString(ledger, forged);
    var before = Roots.snapshot(root);

    CliApplyTest.Run r = CliApplyTest.run("uninstall", "--root", root.toString());

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.FAILED.code());
    assertThat(r.err()).contains("owned.json is not a ledger").contains("Nothing was removed");
    assertThat(Roots.snapshot(root)).isEqualTo(before);
  }

  /**
   * A planted 300 MB (sparse) file where the agent reads one whole: the ledger, a receipt, a unit,
   * a config it manages, /etc/passwd. In the launcher's 96 MiB heap each was an OutOfMemoryError;
   * now a managed file is replaced unread, the rest refused with exit 1.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "var/lib/consul-vm-agent/owned.json",
        "var/lib/consul-vm-agent/receipts_usr_bin_consul.json",
        "etc/consul.d/consul.json",
        "etc/systemd/system/consul.service",
        "srv/consul/service-config.json",
        "etc/passwd"
      })
  void hugeFileWhereTheAgentReadsOne_neverRunsTheHeapOut(String where) throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    assertThat(apply(root).code()).isEqualTo(ExitCode.OK.code());
    Path big = root.resolve(where);
    Files.delete(big);
    try (var f = new RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(300L << 20);
    }

    CliHostileInputTest.Result r =
        CliHostileInputTest.runSmallJvm(
            "apply",
            "--config",
            Examples.config(tmp, "counting").toString(),
            "--root",
            root.toString(),
            "--mirror",
            mirror.url());

    assertThat(r.err()).doesNotContain("OutOfMemoryError");
    assertThat(r.code()).as(r.err()).isIn(ExitCode.OK.code(), ExitCode.FAILED.code());
    if (r.code() == ExitCode.FAILED.code()) assertThat(r.err()).contains("larger than 8 MiB");
    else assertThat(Files.size(big)).isLessThan(1 << 20);
  }

  /**
   * Upstream names in the annotation form reached the registration unchecked (the structured form
   * checks them): a space, newline, '$', a look-alike '＝', a '/' in the datacenter. Each is exit 3
   * naming the annotation, as for a service's own name.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "db EVIL:1234",
        "db\\nEVIL:1234",
        "db$EVIL:1234",
        "db\uff1dEVIL:1234",
        "db:1234:dc/2",
        "db:1234:dc\\n2",
        "api.svc.p$x.peer:80",
        "prepared_query:q x:9000"
      })
  void upstreamAnnotationWithAnInvalidName_isExit3(String upstreams) {
    String line = "consul.hashicorp.com/service-tags: demo,web";
    Path config =
        Examples.config(
            tmp,
            "dashboard",
            line,
            line + "\n    consul.hashicorp.com/connect-service-upstreams: \"" + upstreams + "\"");

    CliApplyTest.Run r = CliApplyTest.run("validate", "--config", config.toString());

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("connect-service-upstreams").contains("not a valid name");
  }

  /**
   * Service meta Consul refuses (structs.go ValidateServiceMetadata) passed validate, so the
   * registration failed later on the VM and the sidecar never came up: a key with a space, a
   * newline, a '$', the reserved 'consul-' prefix, a 129-character key, a 513-character value.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {"\"a b\": v", "\"a\\nb\": v", "\"a$b\": v", "consul-x: v", "K129: v", "k: V513"})
  void serviceMetaConsulRefuses_isExit3_inBothForms(String entry) {
    String e = entry.replace("K129", "k".repeat(129)).replace("V513", "v".repeat(513));
    Path structured =
        Examples.config(
            tmp,
            "counting",
            "service:\n  name: counting",
            "service:\n  meta:\n    " + e + "\n  name: counting");
    CliApplyTest.Run r = CliApplyTest.run("validate", "--config", structured.toString());
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("service.meta").contains("Consul");

    String annotation =
        e.startsWith("\"")
            ? "\"consul.hashicorp.com/service-meta-" + e.substring(1)
            : "consul.hashicorp.com/service-meta-" + e;
    Path annotated =
        Examples.config(
            tmp, "dashboard", "consul.hashicorp.com/service-meta-team: seed", annotation);
    r = CliApplyTest.run("validate", "--config", annotated.toString());
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("service-meta-").contains("Consul");
  }

  /**
   * extra_config passes Consul keys through, and some hold a secret: plan printed each one as a
   * json.* field, and the result file kept it. Neither may show it.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "auto_config: {intro_token: LEAKME-7f3a}",
        "telemetry: {circonus_api_token: LEAKME-7f3a}",
        "http_config: {response_headers: {Authorization: LEAKME-7f3a}}",
        "cloud: {client_secret: LEAKME-7f3a}"
      })
  void secretInExtraConfig_neverInThePlanTheReportOrTheResultFile(String extra) throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    Path config =
        Examples.config(
            tmp,
            "counting",
            "  retry_join: [192.0.2.10]",
            "  retry_join: [192.0.2.10]\n  extra_config:\n    " + extra);
    String[] args = {
      "--config", config.toString(), "--root", root.toString(), "--mirror", mirror.url()
    };
    CliApplyTest.Run plan = CliApplyTest.run(concat("plan", args));
    assertThat(plan.code()).as(plan.out() + plan.err()).isEqualTo(ExitCode.OK.code());
    CliApplyTest.Run apply = CliApplyTest.run(concat("apply", args));
    assertThat(apply.code()).as(apply.out() + apply.err()).isEqualTo(ExitCode.OK.code());

    assertThat(plan.out() + plan.err() + apply.out() + apply.err()).doesNotContain("LEAKME");
    assertThat(Files.readString(root.resolve("var/lib/consul-vm-agent/last-run.json")))
        .doesNotContain("LEAKME");
    assertThat(Files.readString(root.resolve("etc/consul.d/consul.json"))).contains("LEAKME");
  }

  private static String[] concat(String first, String... rest) {
    String[] a = new String[rest.length + 1];
    a[0] = first;
    System.arraycopy(rest, 0, a, 1, rest.length);
    return a;
  }

  /**
   * Every unit an apply writes is one an application must not be named after (its unit would
   * overwrite ours): consul-dns-redirect was not reserved. Taken from what a real apply writes, so
   * a unit added later is covered too.
   */
  @Test
  void appNamedAfterAnyUnitTheAgentWrites_isExit3() throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    Path config = Examples.config(tmp, "dashboard");
    CliApplyTest.Run a =
        CliApplyTest.run(
            "apply",
            "--config",
            config.toString(),
            "--root",
            root.toString(),
            "--mirror",
            mirror.url());
    assertThat(a.code()).as(a.out() + a.err()).isEqualTo(ExitCode.OK.code());
    List<String> ours;
    try (var s = Files.list(root.resolve("etc/systemd/system"))) {
      ours =
          s.map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".service") && !n.contains("@"))
              .map(n -> n.substring(0, n.length() - ".service".length()))
              .filter(n -> !n.equals("dashboard"))
              .toList();
    }
    assertThat(ours).contains("consul", "consul-dns-redirect");
    for (String unit : ours) {
      Path c =
          Examples.config(
              tmp, "dashboard", "  name: dashboard\n  url", "  name: " + unit + "\n  url");
      CliApplyTest.Run r = CliApplyTest.run("validate", "--config", c.toString());
      assertThat(r.code())
          .as(unit + ": " + r.out() + r.err())
          .isEqualTo(ExitCode.INVALID_CONFIG.code());
      assertThat(r.err()).as(unit).contains("app.name").contains("reserved");
    }
  }

  /**
   * A port one of the agent's own listeners takes (Consul's 8300-8302, 8500, 8502, 8600, Envoy's
   * admin and its transparent-proxy outbound 15001, the sidecar range 21000-21255) passed validate
   * for the app, the service, Envoy's admin or an upstream's local bind: two listeners, a mesh that
   * never works. Exit 3 naming the field.
   */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "counting  | '  port: 9003\nservice' | '  port: 8500\nservice' | app.port",
        "counting  | 'PORT: \"9003\"\n  port: 9003' | 'PORT: \"8600\"\n  port: 8600' | app.port",
        "counting  | '  port: 9003\nservice' | '  port: 15001\nservice' | app.port",
        "counting  | '  port: 9003\nservice' | '  port: 19000\nservice' | app.port",
        "counting  | '  port: 9003\nservice' | '  port: 21000\nservice' | app.port",
        "counting  | 'envoy:\n' | 'envoy:\n  admin_port: 8502\n' | envoy.admin_port",
        "dashboard | 'service-tags: demo,web' | 'connect-service-upstreams: \"db:8301\"' |"
            + " upstream",
        "dashboard | 'service-tags: demo,web' | 'connect-service-upstreams: \"db:19000\"' |"
            + " upstream"
      })
  void portTakenByTheAgentsOwnListeners_isExit3(
      String example, String from, String to, String field) {
    Path c = Examples.config(tmp, example, from.replace("\\n", "\n"), to.replace("\\n", "\n"));
    CliApplyTest.Run r = CliApplyTest.run("validate", "--config", c.toString());
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains(field).contains("is taken by");
  }

  /**
   * redirect-traffic checked only the part of -exclude-outbound-cidr before its '/', and wrote the
   * whole value into the iptables-restore script root runs: " -j ACCEPT", or a newline and a rule
   * of one's own, went in. Every value is checked whole now: exit 2, no script.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "-exclude-outbound-cidr=10.0.0.0/8 -j ACCEPT",
        "-exclude-outbound-cidr=10.0.0.0/8\n-A OUTPUT -j DROP",
        "-exclude-outbound-cidr=10.0.0.0/33",
        "-exclude-outbound-cidr=10.0.0.0/-1",
        "-exclude-outbound-cidr=10.0.0.0/+8",
        "-exclude-outbound-cidr=10.0.0.0/\u0668",
        "-exclude-uid=-1"
      })
  void redirectTraffic_valueThatIsNotWhatItSays_neverReachesTheRuleset(String flag) {
    CliApplyTest.Run r =
        CliApplyTest.run(
            "redirect-traffic", "--dry-run", "-proxy-uid=997", "-proxy-inbound-port=20000", flag);
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.USAGE.code());
    assertThat(r.out()).doesNotContain("-A CONSUL_PROXY_OUTPUT").doesNotContain("DROP");
  }

  /** The same values in the annotation: exit 3 (a '+' or a non-ASCII digit passed before). */
  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.0/+8", "10.0.0.0/\u0668", "10.0.0.0/8 -j ACCEPT"})
  void excludeOutboundCidrsAnnotation_notACidr_isExit3(String cidr) {
    String line = "consul.hashicorp.com/service-tags: demo,web";
    Path c =
        Examples.config(
            tmp,
            "dashboard",
            line,
            line
                + "\n    consul.hashicorp.com/transparent-proxy-exclude-outbound-cidrs: \""
                + cidr
                + "\"");
    CliApplyTest.Run r = CliApplyTest.run("validate", "--config", c.toString());
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("exclude-outbound-cidrs");
  }

  /**
   * An authenticated mirror (http://user:password@host): the password was printed in every download
   * line and error, and kept in last-run.json and each receipt's fetched-from.
   */
  @Test
  void mirrorCredentials_neverInTheOutputTheResultFileOrAReceipt() throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    String withPassword = mirror.url().replace("http://", "http://admin:Pw5ecret@");
    String[] args = {
      "--config",
      Examples.config(tmp, "counting").toString(),
      "--root",
      root.toString(),
      "--mirror",
      withPassword
    };
    CliApplyTest.Run apply = CliApplyTest.run(concat("apply", args));
    CliApplyTest.Run failed =
        CliApplyTest.run(
            "apply",
            "--config",
            Examples.config(tmp, "counting").toString(),
            "--root",
            tmp.resolve("other").toString(),
            "--mirror",
            withPassword + "/nowhere");

    assertThat(apply.code()).as(apply.out() + apply.err()).isEqualTo(ExitCode.OK.code());
    assertThat(failed.code()).isEqualTo(ExitCode.FAILED.code());
    assertThat(apply.out() + apply.err() + failed.out() + failed.err())
        .contains("***@")
        .doesNotContain("Pw5ecret");
    try (var s = Files.walk(root.resolve("var/lib/consul-vm-agent"), 1)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(p)).as(p.toString()).doesNotContain("Pw5ecret");
      }
    }
  }
}
