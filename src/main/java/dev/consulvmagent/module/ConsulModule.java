package dev.consulvmagent.module;

import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.render.ConsulConfig;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.render.Units;
import dev.consulvmagent.resource.AbsentResource;
import dev.consulvmagent.resource.BinaryResource;
import dev.consulvmagent.resource.DirectoryResource;
import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.resource.SymlinkResource;
import dev.consulvmagent.secure.ClientMesh;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.ConsulSpec;
import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.spec.SecuritySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** consul: the binary, config (server or client), secrets, data dir and unit. */
final class ConsulModule {
  static final String SECRETS = "/etc/consul.d/secrets.json";

  private ConsulModule() {}

  static List<Resource> resources(AgentSpec spec, Context ctx) {
    return resources(spec, ctx, CatalogMode.NORMAL);
  }

  /**
   * /etc/consul.d: 0750 consul:consul; on a secure machine 0751, so that Envoy (user envoy) can
   * reach its service token /etc/consul.d/tokens/<service>.token (0640 root:envoy in a 0750
   * root:envoy directory): `consul connect envoy -token-file` otherwise fails with "Error loading
   * token file: … permission denied" (seen in scripts/e2e real-consul). Search only, no listing:
   * every file here is 0640 or 0600 and every subdirectory 0750, so nothing else opens up.
   */
  static int configDirMode(AgentSpec spec) {
    return spec.security().secure() ? 0751 : 0750;
  }

  static List<Resource> resources(AgentSpec spec, Context ctx, CatalogMode mode) {
    Notification restart = Notification.restart("consul.service");
    List<Resource> out = new ArrayList<>();
    out.add(new DirectoryResource("/etc/consul.d", configDirMode(spec), "consul", "consul"));
    out.add(new DirectoryResource("/var/lib/consul", 0750, "consul", "consul"));
    out.add(new BinaryResource(ctx.binary("/usr/bin/consul"), restart));
    if (mode.bake()) {
      // a base image has no agent config: /etc/consul.d stays empty, so consul.service
      // (ConditionDirectoryNotEmpty) waits for the instance's own, written at first boot
      out.add(new AbsentResource("/etc/consul.d/consul.json"));
      out.add(new AbsentResource(SECRETS));
      out.add(unit(restart));
      out.add(SymlinkResource.enable("consul.service", "consul.service"));
      return out;
    }
    out.addAll(securityFiles(spec, ctx, restart));
    out.add(
        FileResource.at(
                "/etc/consul.d/consul.json",
                Json.render(ConsulConfig.agent(spec.consul(), spec.security())))
            .mode(0640)
            .owner("consul", "consul")
            .json()
            .notify(UnitNames.consulReload())
            .build());
    // a secure client's DNS (default) token, once apply's cluster step logged in for it
    Optional<Secret> dnsToken =
        spec.security().secure() && spec.consul().role() == ConsulSpec.Role.CLIENT
            ? ClientMesh.storedDnsToken(ctx.host())
            : Optional.empty();
    Map<String, Object> secrets = ConsulConfig.secrets(spec.consul(), spec.security(), dnsToken);
    if (secrets.isEmpty()) {
      out.add(new AbsentResource(SECRETS, UnitNames.consulReload()));
    } else {
      // the gossip key is read only at start: a change needs a restart, a token a reload
      out.add(
          FileResource.at(SECRETS, Json.render(secrets))
              .mode(0640)
              .owner("consul", "consul")
              .json()
              .sensitive()
              .notify(secrets.containsKey("encrypt") ? restart : UnitNames.consulReload())
              .build());
    }
    out.add(unit(restart));
    out.add(
        SymlinkResource.enable(
            "consul.service", "consul.service", Notification.start("consul.service")));
    return out;
  }

  private static Resource unit(Notification restart) {
    return FileResource.at("/etc/systemd/system/consul.service", Json.utf8(Units.consul()))
        .notify(Notification.daemonReload(), restart)
        .build();
  }

  /**
   * The secure mesh's files (board: "Secure-mesh contract"): the CA certificate (public, 0644), a
   * server's certificate and key (0640 root:consul: the agent runs as consul), the intro-JWT public
   * key a server's auth method uses, and a client's intro JWT (0600 consul). The JWT is needed only
   * until the first auto_config: once Consul has written {@link ConsulConfig#AUTO_CONFIG_STATE} it
   * is removed (a replay before exp would mint another agent token,
   * shared/reference/real-consul.md). Nothing when security is insecure.
   */
  static List<Resource> securityFiles(AgentSpec spec, Context ctx, Notification restart) {
    SecuritySpec s = spec.security();
    List<Resource> out = new ArrayList<>();
    if (!s.secure()) return out;
    out.add(new DirectoryResource(ConsulConfig.TLS_DIR, 0750, "root", "consul"));
    out.add(
        FileResource.at(ConsulConfig.CA_FILE, Json.utf8(s.caCert().orElseThrow()))
            .mode(0644)
            .owner("root", "consul")
            .notify(restart)
            .build());
    if (spec.consul().role() == ConsulSpec.Role.SERVER) {
      out.add(
          FileResource.at(ConsulConfig.SERVER_CERT_FILE, Json.utf8(s.serverCert().orElseThrow()))
              .mode(0640)
              .owner("root", "consul")
              .notify(restart)
              .build());
      out.add(
          FileResource.at(
                  ConsulConfig.SERVER_KEY_FILE, Json.utf8(s.serverKey().orElseThrow().value()))
              .mode(0640)
              .owner("root", "consul")
              .sensitive()
              .notify(restart)
              .build());
      out.add(new DirectoryResource(ConsulConfig.JWT_DIR, 0750, "root", "consul"));
      out.add(
          FileResource.at(
                  ConsulConfig.JWT_PUBLIC_KEY_FILE, Json.utf8(s.jwtPublicKey().orElseThrow()))
              .mode(0644)
              .owner("root", "consul")
              .build());
    } else {
      out.add(new DirectoryResource(ConsulConfig.AUTO_CONFIG_DIR, 0750, "consul", "consul"));
      if (ctx.host().fs().exists(ConsulConfig.AUTO_CONFIG_STATE)) {
        out.add(new AbsentResource(ConsulConfig.INTRO_TOKEN_FILE));
      } else {
        out.add(
            FileResource.at(
                    ConsulConfig.INTRO_TOKEN_FILE, Json.utf8(s.introToken().orElseThrow().value()))
                .mode(0600)
                .owner("consul", "consul")
                .sensitive()
                .build());
      }
    }
    return out;
  }
}
