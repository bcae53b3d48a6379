package dev.consulvmagent.secure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.consulvmagent.cli.Main;
import dev.consulvmagent.host.SecretFiles;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.FleetSpec;
import dev.consulvmagent.spec.SpecException;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.spec.UserData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * mesh user-data on the shipped templates (cloud-init/*.yaml): each machine gets only what it
 * needs, the output passes the agent's own validate and cloud-init's schema check (the real
 * cloud-init, as installed by .ci/run), and no client ever carries a server's secret (grep for the
 * real values).
 */
class MeshUserDataTest {
  static final String PATH = "/etc/consul-vm-agent/agent.yaml";
  @TempDir Path tmp;
  MeshFixture f;

  @BeforeEach
  void mesh() {
    f = new MeshFixture(tmp.resolve("mesh"), "consul-server=192.0.2.10");
  }

  static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new String[] {String.valueOf(code), out.toString(), err.toString()};
  }

  /** mesh user-data for machine from template into out: {exit code, stdout, stderr}. */
  String[] userData(String machine, Object template, Path out) {
    return run(f.userDataArgs(machine, template, out));
  }

  String render(String machine) throws Exception {
    Path out = tmp.resolve(machine + ".yaml");
    String[] r = userData(machine, "cloud-init/" + machine + ".yaml", out);
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(SecretFiles.mode(out)).isEqualTo(0600);
    // what it says names keys, not values
    for (String s : f.neverOnAClient("consul-server")) assertThat(r[1] + r[2]).doesNotContain(s);
    return Files.readString(out);
  }

  static AgentSpec read(String userData) {
    return new SpecLoader()
        .parse(UserData.extract(userData.getBytes(StandardCharsets.UTF_8), PATH));
  }

  @ParameterizedTest
  @ValueSource(strings = {"counting", "dashboard"})
  void client_getsTheCaCertAndANodeBoundJwt_andNoServerSecret(String machine) throws Exception {
    String ud = render(machine);
    for (String secret : f.neverOnAClient("consul-server"))
      assertThat(ud).as("a client's user-data").doesNotContain(secret);
    AgentSpec s = read(ud);
    assertThat(s.security().secure()).isTrue();
    assertThat(s.security().caCert()).contains(f.file("ca.pem"));
    assertThat(s.security().managementToken()).isEmpty();
    assertThat(s.security().gossipKey()).isEmpty();
    SignedJWT jwt = SignedJWT.parse(s.security().introToken().orElseThrow().value());
    ECPublicKey pub = (ECPublicKey) Pki.publicKey(f.file("jwt-public-key.pem"), "jwt");
    assertThat(jwt.verify(new ECDSAVerifier(pub))).isTrue();
    JWTClaimsSet c = jwt.getJWTClaimsSet();
    assertThat(c.getIssuer()).isEqualTo("consul-vm-agent:dc1");
    assertThat(c.getAudience()).containsExactly("consul-auto-config");
    assertThat(c.getSubject()).isEqualTo(machine);
    assertThat(c.getStringClaim("node")).isEqualTo(machine);
    assertThat(c.getClaim("group")).isNull(); // no fleet block in the shipped templates
    assertThat(c.getStringClaim("service")).isEqualTo(machine);
    assertThat(c.getJWTID()).isNotBlank();
    long life = c.getExpirationTime().getTime() - c.getIssueTime().getTime();
    assertThat(life).isEqualTo(Duration.ofHours(24).plus(IntroToken.CLOCK_SKEW).toMillis());
    assertThat(c.getNotBeforeTime()).isEqualTo(c.getIssueTime());
    assertThat(c.getExpirationTime().toInstant())
        .isBetween(
            Instant.now().plus(Duration.ofHours(24)).minusSeconds(60),
            Instant.now().plus(Duration.ofHours(24)));
    assertValidEverywhere(ud, machine);
  }

  @Test
  void server_getsItsCertKeyGossipJwtKeyAndTokens_butNotTheCaOrSigningKey() throws Exception {
    String ud = render("consul-server");
    AgentSpec s = read(ud);
    assertThat(s.security().serverCert()).contains(f.file("servers/consul-server.pem"));
    assertThat(s.security().serverKey().orElseThrow().value())
        .isEqualTo(f.file("servers/consul-server-key.pem"));
    assertThat(s.security().gossipKey().orElseThrow().value())
        .isEqualTo(f.file("gossip.key").strip());
    assertThat(s.security().managementToken().orElseThrow().value())
        .isEqualTo(f.file("management.token").strip());
    assertThat(s.security().jwtPublicKey()).contains(f.file("jwt-public-key.pem"));
    assertThat(s.security().introToken()).isEmpty();
    // the client templates beside it (cloud-init/): their services may manage their intentions
    assertThat(s.security().services()).containsExactly("counting", "dashboard");
    for (String l : f.pemBody("ca-key.pem")) assertThat(ud).doesNotContain(l);
    for (String l : f.pemBody("jwt-signing-key.pem")) assertThat(ud).doesNotContain(l);
    assertValidEverywhere(ud, "consul-server");
  }

  @Test
  void fleetTemplate_getsAGroupClaim_andItsServerTheGroup() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("templates"));
    Files.copy(Path.of("cloud-init/consul-server.yaml"), dir.resolve("consul-server.yaml"));
    Files.writeString(
        dir.resolve("dashboard.yaml"),
        UserDataSecurity.insert(
            Files.readString(Path.of("cloud-init/dashboard.yaml")),
            PATH,
            "fleet:\n  group: dashboard\n"));
    String[] c = userData("dashboard", dir.resolve("dashboard.yaml"), tmp.resolve("dash-ud.yaml"));
    assertThat(c[0]).as(c[2]).isEqualTo("0");
    AgentSpec client = read(Files.readString(tmp.resolve("dash-ud.yaml")));
    assertThat(client.fleet().orElseThrow().group()).isEqualTo("dashboard");
    JWTClaimsSet claims =
        SignedJWT.parse(client.security().introToken().orElseThrow().value()).getJWTClaimsSet();
    assertThat(claims.getStringClaim("group")).isEqualTo("dashboard");
    assertThat(claims.getStringClaim("service")).isEqualTo("dashboard");
    String[] s =
        userData("consul-server", dir.resolve("consul-server.yaml"), tmp.resolve("srv-ud.yaml"));
    assertThat(s[0]).as(s[2]).isEqualTo("0");
    assertThat(s[2]).contains("fleet_groups");
    AgentSpec server = read(Files.readString(tmp.resolve("srv-ud.yaml")));
    assertThat(server.security().fleetGroups())
        .extracting(FleetSpec::groupEntry)
        .containsExactly("dashboard");
    assertThat(server.security().services()).containsExactly("dashboard");
  }

  /**
   * The prebuilt image's templates (cloud-init/prebuilt-image/): the service is the seed's
   * /srv/consul/service-config.json beside the agent config, as apply reads it at boot
   * (app/SeedServiceConfig): the client's intro JWT names it (its login gets the service identity)
   * and the server beside them lets both manage their intentions.
   */
  @Test
  void prebuiltImageTemplates_theServiceComesFromTheSeedsServiceConfig() throws Exception {
    for (String m : List.of("counting", "dashboard")) {
      String[] c =
          userData(m, "cloud-init/prebuilt-image/" + m + ".yaml", tmp.resolve(m + "-image.yaml"));
      assertThat(c[0]).as(c[2]).isEqualTo("0");
      AgentSpec client = read(Files.readString(tmp.resolve(m + "-image.yaml")));
      assertThat(client.service()).as("no service: block; the seed's file names it").isEmpty();
      JWTClaimsSet claims =
          SignedJWT.parse(client.security().introToken().orElseThrow().value()).getJWTClaimsSet();
      assertThat(claims.getStringClaim("service")).isEqualTo(m);
    }
    String[] s =
        userData(
            "consul-server",
            "cloud-init/prebuilt-image/consul-server.yaml",
            tmp.resolve("srv-image.yaml"));
    assertThat(s[0]).as(s[2]).isEqualTo("0");
    AgentSpec server = read(Files.readString(tmp.resolve("srv-image.yaml")));
    assertThat(server.security().services()).containsExactly("counting", "dashboard");
  }

  @Test
  void aTemplatesBrokenSeedServiceConfig_isRefused_namingTheFile() throws Exception {
    Path t = tmp.resolve("counting.yaml");
    Files.writeString(
        t,
        Files.readString(Path.of("cloud-init/prebuilt-image/counting.yaml"))
            .replace(
                "{\"name\": \"counting\", \"port\": 9003}",
                "{\"name\": \"counting\", \"port\": \"nine\"}"));
    String[] c = userData("counting", t, tmp.resolve("out.yaml"));
    assertThat(c[0]).isEqualTo("3");
    assertThat(c[2]).contains("/srv/consul/service-config.json (the template's write_files entry)");
    assertThat(tmp.resolve("out.yaml")).doesNotExist();
  }

  @Test
  void theTemplateOutsideTheAgentConfig_isKeptAsWritten() throws Exception {
    String template = Files.readString(Path.of("cloud-init/counting.yaml"));
    String ud = render("counting");
    // every template line is still there, in order; only the security lines were added
    List<String> added = ud.lines().filter(l -> !template.lines().toList().contains(l)).toList();
    assertThat(added).allMatch(l -> l.startsWith("      ") && !l.isBlank());
    assertThat(ud.lines().filter(template.lines().toList()::contains).toList())
        .isEqualTo(template.lines().toList());
  }

  void assertValidEverywhere(String ud, String machine) throws Exception {
    Path p = tmp.resolve(machine + "-check.yaml");
    Files.writeString(p, ud);
    String[] v = run("validate", "--user-data", p.toString());
    assertThat(v[0]).as(v[1] + v[2]).isEqualTo("0");
    // cloud-init's own schema check (the real cloud-init, installed by .ci/run)
    Path ci = Path.of("/usr/bin/cloud-init");
    if (!Files.isExecutable(ci)) {
      if (System.getenv("CI") != null) throw new AssertionError("CI: cloud-init is missing");
      return;
    }
    Process pr =
        new ProcessBuilder(ci.toString(), "schema", "-c", p.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(pr.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(pr.exitValue()).as(out).isZero();
    assertThat(out).contains("Valid");
  }

  @Test
  void templateWithoutSecurity_isRefusedByValidate_namingTheSection() {
    String[] r = run("validate", "--user-data", "cloud-init/counting.yaml");
    assertThat(r[0]).isEqualTo("3");
    assertThat(r[2]).contains("security").contains("mesh init");
  }

  @Test
  void machineNotTheTemplatesNode_isRefused() {
    assertThatThrownBy(() -> renderRaw("cloud-init/counting.yaml", "dashboard", Optional.empty()))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining("consul.node_name");
    assertThatThrownBy(
            () -> renderRaw("cloud-init/counting.yaml", "counting", Optional.of("dashboard")))
        .hasMessageContaining("--service dashboard");
  }

  @Test
  void serverWithoutACertificate_isRefused_sayingHowToMakeOne() throws Exception {
    MeshFixture bare = new MeshFixture(tmp.resolve("bare"));
    assertThatThrownBy(
            () ->
                UserDataSecurity.render(
                    Files.readAllBytes(Path.of("cloud-init/consul-server.yaml")),
                    bare.mesh,
                    new UserDataSecurity.Request(
                        "consul-server",
                        Optional.empty(),
                        Duration.ofHours(1),
                        PATH,
                        Instant.now())))
        .hasMessageContaining("--server consul-server");
  }

  @Test
  void templateThatAlreadyHasSecurity_isRefused() throws Exception {
    String ud = render("counting");
    Path p = Files.writeString(tmp.resolve("again.yaml"), ud);
    assertThatThrownBy(() -> renderRaw(p.toString(), "counting", Optional.empty()))
        .hasMessageContaining("already has a security");
  }

  @Test
  void ttlOutsideItsRange_isAUsageError() {
    for (String ttl : List.of("1m", "31d", "24", "-1h", "1h;rm")) {
      String[] r =
          run(
              "mesh",
              "user-data",
              f.dir.toString(),
              "--machine",
              "counting",
              "--template",
              "cloud-init/counting.yaml",
              "--ttl",
              ttl,
              "-o",
              tmp.resolve("x.yaml").toString());
      assertThat(r[0]).as(ttl).isEqualTo("2");
    }
    assertThat(Files.exists(tmp.resolve("x.yaml"))).isFalse();
  }

  byte[] renderRaw(String template, String machine, Optional<String> service) throws Exception {
    return UserDataSecurity.render(
            Files.readAllBytes(Path.of(template)),
            f.mesh,
            new UserDataSecurity.Request(
                machine, service, Duration.ofHours(1), PATH, Instant.now()))
        .userData();
  }
}
