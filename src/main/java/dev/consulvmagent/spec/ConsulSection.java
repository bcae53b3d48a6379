package dev.consulvmagent.spec;

import static dev.consulvmagent.spec.SpecLoader.mapping;
import static dev.consulvmagent.spec.SpecLoader.opt;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads {@code consul:}: the agent's role, addresses, join list, secrets and extra_config. */
final class ConsulSection {
  private ConsulSection() {}

  static ConsulSpec read(Node n, SpecLoader.Problems p, boolean baseImage) {
    if (n == null) {
      p.add(
          new SpecException(
              "consul", "is required (at least: consul: {role: client, retry_join: [...]})"));
      return null;
    }
    if (!mapping(n, p, "Consul settings")) return null;
    String version =
        p.get(
            () ->
                opt(n, "version")
                    .map(Validators::version)
                    .orElse(SpecLoader.DEFAULT_CONSUL_VERSION),
            SpecLoader.DEFAULT_CONSUL_VERSION);
    ConsulSpec.Role roleOrNull =
        p.get(
            () ->
                opt(n, "role")
                    .map(
                        r ->
                            switch (r.text()) {
                              case "server" -> ConsulSpec.Role.SERVER;
                              case "client" -> ConsulSpec.Role.CLIENT;
                              default ->
                                  throw r.error(
                                      "must be 'server' or 'client', got "
                                          + Validators.quote(r.text()));
                            })
                    .orElse(ConsulSpec.Role.CLIENT),
            null);
    ConsulSpec.Role role = roleOrNull == null ? ConsulSpec.Role.CLIENT : roleOrNull;
    String dc = p.get(() -> opt(n, "datacenter").map(Validators::datacenter).orElse("dc1"), "dc1");
    Optional<String> nodeName =
        p.get(() -> opt(n, "node_name").map(Validators::nodeName), Optional.empty());
    Optional<String> bind = p.get(() -> opt(n, "bind_addr").map(Validators::ip), Optional.empty());
    Optional<String> advertise =
        p.get(() -> opt(n, "advertise_addr").map(Validators::ip), Optional.empty());
    String client =
        p.get(() -> opt(n, "client_addr").map(Validators::ip).orElse("127.0.0.1"), "127.0.0.1");
    List<String> join = new ArrayList<>();
    int[] joinEntries = {0}; // entries given, valid or not: invalid ones are reported themselves
    p.run(
        () ->
            opt(n, "retry_join")
                .ifPresent(
                    j -> {
                      for (Node x : j.list()) {
                        joinEntries[0]++;
                        p.run(() -> join.add(Validators.joinAddress(x)));
                      }
                    }));
    String retryInterval =
        p.get(
            () ->
                opt(n, "retry_interval")
                    .map(Validators::joinInterval)
                    .orElse(ConsulSpec.DEFAULT_RETRY_INTERVAL),
            ConsulSpec.DEFAULT_RETRY_INTERVAL);
    int expect =
        p.get(
            () ->
                opt(n, "bootstrap_expect")
                    .map(
                        b -> {
                          long v = b.integer();
                          if (v < 1 || v > 9) throw b.error("must be between 1 and 9, got " + v);
                          if (roleOrNull == ConsulSpec.Role.CLIENT)
                            throw b.error("is only valid for role: server");
                          return (int) v;
                        })
                    .orElse(role == ConsulSpec.Role.SERVER ? 1 : 0),
            0);
    boolean ui =
        p.get(() -> opt(n, "ui").map(Node::bool).orElse(role == ConsulSpec.Role.SERVER), false);
    Optional<Secret> encrypt =
        p.get(
            () ->
                opt(n, "encrypt")
                    .map(
                        e -> {
                          String v = e.text();
                          if (!v.matches("[A-Za-z0-9+/]{22,}={0,2}"))
                            throw e.error("is not a base64 gossip key (consul keygen)");
                          return new Secret(v);
                        }),
            Optional.empty());
    Optional<Secret> token =
        p.get(
            () ->
                opt(n, "acl_token")
                    .map(
                        t -> {
                          String v = t.text();
                          if (!v.matches("[A-Za-z0-9-]{8,128}"))
                            throw t.error("is not a valid ACL token");
                          return new Secret(v);
                        }),
            Optional.empty());
    Optional<String> sha = p.get(() -> opt(n, "sha256").map(Validators::sha256), Optional.empty());
    Map<String, Object> extra = new LinkedHashMap<>();
    Node extraNode = n.get("extra_config");
    if (extraNode != null && mapping(extraNode, p, "Consul agent settings")) {
      p.run(() -> extra.putAll(ExtraConfig.check(extraNode, client, p)));
    }
    p.run(n::done);
    if (!baseImage && roleOrNull == ConsulSpec.Role.CLIENT && joinEntries[0] == 0) {
      p.add(n.missing("retry_join", "a client needs at least one server address to join"));
    }
    return new ConsulSpec(
        version,
        role,
        dc,
        nodeName,
        bind,
        advertise,
        client,
        join,
        retryInterval,
        expect,
        ui,
        encrypt,
        token,
        sha,
        extra);
  }
}
