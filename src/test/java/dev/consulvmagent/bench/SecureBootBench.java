package dev.consulvmagent.bench;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.IntentionApi;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Planned;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.secure.ClientMesh;
import dev.consulvmagent.secure.ClientSecurity;
import dev.consulvmagent.secure.ServerBootstrap;
import dev.consulvmagent.secure.ServerSecurity;
import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.testing.RealConsul;
import dev.consulvmagent.testing.RecordingHost;
import dev.consulvmagent.testing.SecureCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Benchmark (not a test; run by scripts/bench): what a secure client's first boot adds in agent
 * time once its Consul has joined by auto_config — apply's cluster step, plan included — against a
 * REAL Consul 1.8.7 server and client on loopback. Each run is a fresh machine root (no token yet:
 * every login is made again; the intro JWT is reusable until exp). "before" is the step as it was
 * (service login and intentions), "after" adds the DNS login (issue 19); they alternate. Prints
 * "before-median-ms after-median-ms".
 */
public final class SecureBootBench {
  private SecureBootBench() {}

  public static void main(String[] args) throws Exception {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    Path tmp = Files.createTempDirectory("cva-secure-bench");
    SecureCluster mesh = SecureCluster.create(tmp.resolve("mesh"));
    Secret agent = new Secret(UUID.randomUUID().toString());
    try (RealConsul server = mesh.startServer(tmp.resolve("srv"), "server-a", agent)) {
      AclApi admin = new AclApi(SecureCluster.http(server, mesh.management));
      SecureCluster.awaitAcls(server, admin, mesh.management);
      Engine engine = new Engine(EventSink.NONE);
      ServerSecurity sec = mesh.serverSecurity("server-a", agent, List.of("counting"));
      Host serverRoot = RecordingHost.withoutProcesses(tmp.resolve("server-root"));
      RunResult boot =
          engine.apply(
              engine.plan(ServerBootstrap.resources(sec, admin), serverRoot),
              serverRoot,
              n -> List.of(),
              Instant.now());
      if (boot.failed()) throw new IllegalStateException("server bootstrap: " + boot.error());

      String jwt = mesh.jwt("counting-1", "counting", Duration.ofHours(1));
      Path intro = tmp.resolve("intro.jwt");
      Files.writeString(intro, jwt);
      try (RealConsul client =
          RealConsul.named(
              tmp.resolve("cli"),
              "counting-1",
              List.of("-retry-join=127.0.0.1:" + server.ports().serfLan(), "-retry-interval=1s"),
              mesh.client(intro, server.ports().server()))) {
        client.awaitLeader();
        ClientSecurity c =
            new ClientSecurity(
                "counting-1", "counting", Optional.of(new Secret(jwt)), List.of("dashboard"));
        AclApi acl = new AclApi(SecureCluster.http(client, null));
        List<Long> before = new ArrayList<>();
        List<Long> after = new ArrayList<>();
        // the first run in this JVM, as at first boot (classes loaded, connections opened): all of
        // it
        long cold = run(engine, tmp.resolve("cold"), c, acl, client, true);
        for (int i = 0; i < reps; i++) {
          before.add(run(engine, tmp.resolve("b" + i), c, acl, client, false));
          after.add(run(engine, tmp.resolve("a" + i), c, acl, client, true));
        }
        System.out.println(median(before) + " " + median(after) + " " + cold);
      }
    }
  }

  static long run(
      Engine engine, Path root, ClientSecurity c, AclApi acl, RealConsul client, boolean dns)
      throws Exception {
    Host host = RecordingHost.withoutProcesses(root);
    List<Resource> rs =
        new ArrayList<>(
            ClientMesh.resources(c, acl, t -> new IntentionApi(SecureCluster.http(client, t))));
    if (dns) rs.add(ClientMesh.dnsToken(c.node(), c.introToken(), acl));
    long t0 = System.nanoTime();
    List<Planned> plan = engine.plan(rs, host);
    RunResult r = engine.apply(plan, host, n -> List.of(), Instant.now());
    long ms = (System.nanoTime() - t0) / 1_000_000;
    if (r.failed()) throw new IllegalStateException("cluster step: " + r.error());
    return ms;
  }

  static long median(List<Long> xs) {
    List<Long> s = xs.stream().sorted().toList();
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
