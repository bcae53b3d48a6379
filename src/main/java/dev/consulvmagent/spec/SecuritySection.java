package dev.consulvmagent.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads {@code security:}. Values are checked for their shape (PEM framing, base64 gossip key, UUID
 * tokens, a three-part JWT) and never quoted in an error: a message names the key and what is
 * wrong, not what was given. Which keys a machine must have follows its role; a key the role must
 * not carry (the management token on a client) is refused, so a secret meant for a server is never
 * written to a client by mistake.
 */
final class SecuritySection {
  private SecuritySection() {}

  private static final Pattern UUID =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern GOSSIP = Pattern.compile("[A-Za-z0-9+/]{43}=");
  private static final Pattern JWT =
      Pattern.compile("[A-Za-z0-9_-]{10,4096}\\.[A-Za-z0-9_-]{10,8192}\\.[A-Za-z0-9_-]{10,1024}");

  static final List<String> SERVER_KEYS =
      List.of(
          "server_cert",
          "server_key",
          "gossip_key",
          "jwt_public_key",
          "management_token",
          "server_agent_token");
  static final List<String> CLIENT_KEYS = List.of("intro_token");

  /** The section, or null when it is absent (refused later, see {@link #require}). */
  static SecuritySpec read(Node n, ConsulSpec.Role role, SpecLoader.Problems p) {
    if (n == null) return null;
    if (!n.isMapping()) {
      p.add(n.error("expected a mapping (security: {mode: secure, ...}, from `mesh user-data`)"));
      return null;
    }
    SecuritySpec.Mode mode =
        p.get(
            () -> {
              Node m = n.get("mode");
              if (m == null) return SecuritySpec.Mode.SECURE;
              return switch (m.text()) {
                case "secure" -> SecuritySpec.Mode.SECURE;
                case "insecure" -> SecuritySpec.Mode.INSECURE;
                default ->
                    throw m.error("must be secure or insecure, got " + Validators.quote(m.text()));
              };
            },
            SecuritySpec.Mode.SECURE);
    Optional<String> ca = pem(n, "ca_cert", "CERTIFICATE", p);
    Optional<String> cert = pem(n, "server_cert", "CERTIFICATE", p);
    Optional<Secret> key = pem(n, "server_key", "PRIVATE KEY", p).map(Secret::new);
    Optional<Secret> gossip = secret(n, "gossip_key", GOSSIP, "a gossip key (consul keygen)", p);
    Optional<String> jwtKey = pem(n, "jwt_public_key", "PUBLIC KEY", p);
    Optional<Secret> mgmt = secret(n, "management_token", UUID, "a UUID", p);
    Optional<Secret> agent = secret(n, "server_agent_token", UUID, "a UUID", p);
    Optional<Secret> intro = secret(n, "intro_token", JWT, "a signed JWT (header.claims.sig)", p);
    List<String> services = new ArrayList<>();
    p.run(
        () -> {
          Node l = n.get("services");
          if (l == null) return;
          for (Node x : l.list()) p.run(() -> services.add(Validators.serviceName(x)));
        });
    List<FleetSpec> fleetGroups = new ArrayList<>();
    p.run(
        () -> {
          Node l = n.get("fleet_groups");
          if (l == null) return;
          for (Node x : l.list())
            p.run(
                () -> {
                  FleetSpec f =
                      FleetSpec.ofGroupEntry(x.text())
                          .orElseThrow(
                              () ->
                                  x.error(
                                      "must be a fleet group (dashboard), or its KV prefix and"
                                          + " group (apps/dashboard), got "
                                          + Validators.quote(x.text())));
                  for (FleetSpec o : fleetGroups)
                    if (o.group().equals(f.group()))
                      throw x.error(
                          "names group "
                              + f.group()
                              + " twice: its watchers' role (consul-vm-agent-fleet-"
                              + f.group()
                              + ") can hold one KV prefix");
                  // a group whose keys lie under another's: that group's watchers (nodes/ and
                  // lock/ write) could write its desired spec, i.e. push to its machines
                  String root = FleetSpec.groupRoot(f.kvPrefix(), f.group());
                  for (FleetSpec o : fleetGroups) {
                    String other = FleetSpec.groupRoot(o.kvPrefix(), o.group());
                    if (root.startsWith(other) || other.startsWith(root))
                      throw x.error(
                          "keeps group "
                              + f.group()
                              + "'s keys ("
                              + root
                              + ") and group "
                              + o.group()
                              + "'s ("
                              + other
                              + ") one under the other: one group's watchers could write the"
                              + " other's rollout; give them separate KV prefixes");
                  }
                  fleetGroups.add(f);
                });
        });
    p.run(n::done);
    if (mode == SecuritySpec.Mode.INSECURE) {
      for (String k : n.keys()) {
        if (!k.equals("mode")) {
          p.add(
              new SpecException(
                  "security." + k,
                  n.keyLine(k),
                  "is given with security.mode: insecure, which uses no secrets; remove it or"
                      + " the insecure mode"));
        }
      }
      return SecuritySpec.insecure();
    }
    List<String> missing = new ArrayList<>();
    if (ca.isEmpty()) missing.add("ca_cert");
    List<String> need = role == ConsulSpec.Role.SERVER ? SERVER_KEYS : CLIENT_KEYS;
    List<String> forbidden = role == ConsulSpec.Role.SERVER ? CLIENT_KEYS : SERVER_KEYS;
    for (String k : need) if (n.get(k) == null) missing.add(k);
    for (String k : missing) {
      p.add(
          new SpecException(
              "security." + k,
              n.line(),
              "is required for a "
                  + role.name().toLowerCase(Locale.ROOT)
                  + " in security.mode secure (`consul-vm-agent mesh user-data` writes it)"));
    }
    for (String k : forbidden) {
      if (n.get(k) != null) {
        p.add(
            new SpecException(
                "security." + k,
                n.keyLine(k),
                "does not belong on a "
                    + role.name().toLowerCase(Locale.ROOT)
                    + (role == ConsulSpec.Role.CLIENT
                        ? " (a client gets only ca_cert and intro_token: the servers hand it the"
                            + " rest through auto_config)"
                        : " (a server does not join with an intro JWT)")));
      }
    }
    if (role == ConsulSpec.Role.CLIENT && n.get("services") != null) {
      p.add(
          new SpecException(
              "security.services",
              n.keyLine("services"),
              "is for servers (the services whose tokens may manage their intentions)"));
    }
    if (role == ConsulSpec.Role.CLIENT && n.get("fleet_groups") != null) {
      p.add(
          new SpecException(
              "security.fleet_groups",
              n.keyLine("fleet_groups"),
              "is for servers (the fleet groups whose watchers get a role); a client names its"
                  + " group in fleet.group"));
    }
    return new SecuritySpec(
        mode, ca, cert, key, gossip, jwtKey, mgmt, agent, intro, services, fleetGroups);
  }

  /** An absent section, refused naming it (validate, plan, apply, status). */
  static void requirePresent(SecuritySpec s) {
    if (s.mode() == SecuritySpec.Mode.UNSET) {
      throw new SpecException(
          "security",
          "is required: this machine would join a mesh anyone can join, read and call. Make the"
              + " mesh's secrets once with `consul-vm-agent mesh init DIR`, render this machine's"
              + " user-data with `consul-vm-agent mesh user-data DIR --machine NAME --template"
              + " FILE`, or say `security: {mode: insecure}` on purpose");
    }
  }

  /**
   * After the rest of the config is valid: the legacy consul.encrypt and security.gossip_key
   * exclude each other; remote script checks and remote exec stay off in secure mode.
   */
  static void check(SecuritySpec s, ConsulSpec consul, Node root) {
    Node sec = root.get("security");
    int line = sec == null ? -1 : sec.line();
    if (s.secure() && consul.encrypt().isPresent() && s.gossipKey().isPresent()) {
      throw new SpecException(
          "consul.encrypt",
          line,
          "and security.gossip_key are both given; keep security.gossip_key (from mesh init)");
    }
    if (s.secure() && consul.encrypt().isPresent() && consul.role() == ConsulSpec.Role.CLIENT) {
      throw new SpecException(
          "consul.encrypt",
          line,
          "is not given to a client in security.mode secure: the servers hand it the gossip key"
              + " through auto_config; remove it");
    }
    if (s.secure() && consul.aclToken().isPresent() && consul.role() == ConsulSpec.Role.SERVER) {
      throw new SpecException(
          "consul.acl_token",
          line,
          "is not used on a server in security.mode secure: its agent token is"
              + " security.server_agent_token (from mesh init); remove it");
    }
    if (s.secure()) {
      for (Map.Entry<String, Object> e : consul.extraConfig().entrySet()) {
        String k = e.getKey().toLowerCase(Locale.ROOT);
        boolean scripts = k.equals("enable_script_checks") && Boolean.TRUE.equals(e.getValue());
        boolean exec = k.equals("disable_remote_exec") && Boolean.FALSE.equals(e.getValue());
        if (scripts || exec) {
          throw new SpecException(
              "consul.extra_config." + e.getKey(),
              line,
              "is refused in security.mode secure: it lets an HTTP caller run commands on the"
                  + " machine; use enable_local_script_checks for checks from config files");
        }
      }
    }
  }

  private static Optional<String> pem(Node n, String key, String type, SpecLoader.Problems p) {
    return p.get(
        () -> {
          Node v = n.get(key);
          if (v == null) return Optional.empty();
          String t = v.text().strip();
          Pattern shape =
              Pattern.compile(
                  "-----BEGIN ([A-Z ]*"
                      + type
                      + ")-----\\n[A-Za-z0-9+/=\\n]{16,16384}-----END \\1-----");
          if (!shape.matcher(t).matches()) {
            throw v.error("is not a PEM block of type " + type + " (as mesh init writes it)");
          }
          return Optional.of(t + "\n");
        },
        Optional.empty());
  }

  private static Optional<Secret> secret(
      Node n, String key, Pattern shape, String what, SpecLoader.Problems p) {
    return p.get(
        () -> {
          Node v = n.get(key);
          if (v == null) return Optional.empty();
          String t = v.text().strip();
          if (!shape.matcher(t).matches()) throw v.error("is not " + what + " (value not shown)");
          return Optional.of(new Secret(t));
        },
        Optional.empty());
  }
}
