package dev.consulvmagent.secure;

import dev.consulvmagent.sidecar.SidecarFiles;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.ConsulSpec;
import dev.consulvmagent.spec.FleetSpec;
import dev.consulvmagent.spec.SpecException;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.spec.UserData;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code mesh user-data}: a machine's complete user-data from a secret-free template (one of
 * cloud-init/*.yaml, or any #cloud-config whose write_files carries the agent config) plus the
 * {@code security:} section with only what that machine needs. The section is added as text at the
 * end of the agent config's literal block, so the template's comments and everything else stay as
 * written; the result is read back the way {@code validate --user-data} and the agent read it, and
 * must be the template's agent config plus exactly that section.
 */
public final class UserDataSecurity {
  private UserDataSecurity() {}

  /** The machine to render for. */
  public record Request(
      String machine,
      Optional<String> service,
      Duration ttl,
      String configPath,
      Instant now,
      List<String> meshServices,
      List<String> fleetGroups) {
    public Request(
        String machine, Optional<String> service, Duration ttl, String configPath, Instant now) {
      this(machine, service, ttl, configPath, now, List.of());
    }

    public Request(
        String machine,
        Optional<String> service,
        Duration ttl,
        String configPath,
        Instant now,
        List<String> meshServices) {
      this(machine, service, ttl, configPath, now, meshServices, List.of());
    }
  }

  /** The rendered user-data and what the section holds (key names only: nothing secret). */
  public record Rendered(byte[] userData, ConsulSpec.Role role, List<String> keys) {}

  public static Rendered render(byte[] template, MeshDir mesh, Request r) {
    String text = new String(template, StandardCharsets.UTF_8);
    if (!text.startsWith("#cloud-config")) {
      throw new SpecException(
          "template",
          "must be a #cloud-config document (its first line); MIME multipart or gzipped"
              + " user-data cannot be completed, render the cloud-config part and combine after");
    }
    String agent = new String(UserData.extract(template, r.configPath()), StandardCharsets.UTF_8);
    AgentSpec spec;
    try {
      spec = withoutSecurity(agent);
    } catch (SpecException e) {
      if (e.problems().stream().anyMatch(p -> p.path().equals("security"))) {
        throw new SpecException(
            "template",
            "its agent config already has a security: section; mesh user-data completes a"
                + " template without one");
      }
      throw e;
    }
    ConsulSpec c = spec.consul();
    if (!c.datacenter().equals(mesh.datacenter())) {
      throw new SpecException(
          "consul.datacenter",
          "is "
              + c.datacenter()
              + " in the template but "
              + mesh.path()
              + " was made for "
              + mesh.datacenter());
    }
    String node =
        c.nodeName()
            .orElseThrow(
                () ->
                    new SpecException(
                        "consul.node_name",
                        "is required in the template's agent config: the intro JWT and the"
                            + " server certificate are bound to the node name"));
    if (!node.equals(r.machine())) {
      throw new SpecException(
          "consul.node_name",
          "is " + node + " in the template, but --machine is " + r.machine() + "; they must match");
    }
    Optional<String> configured = service(spec, template);
    if (r.service().isPresent() && !r.service().equals(configured)) {
      throw new SpecException(
          "service",
          "--service "
              + r.service().get()
              + " is not the template's service ("
              + configured.orElse("none")
              + ")");
    }
    List<String> keys = new ArrayList<>(List.of("mode", "ca_cert"));
    StringBuilder b = new StringBuilder();
    b.append("# added by consul-vm-agent mesh user-data for ").append(node);
    b.append(" (").append(r.now().truncatedTo(ChronoUnit.SECONDS)).append(")\n");
    b.append("security:\n  mode: secure\n");
    block(b, "ca_cert", mesh.caCert());
    if (c.role() == ConsulSpec.Role.SERVER) {
      if (!mesh.hasServer(node)) {
        throw new SpecException(
            "consul.node_name",
            "server "
                + node
                + " has no certificate in "
                + mesh.path()
                + "; run: consul-vm-agent mesh init "
                + mesh.path()
                + " --server "
                + node
                + "=<its address>");
      }
      block(b, "server_cert", mesh.serverCert(node));
      block(b, "server_key", mesh.serverKey(node).value());
      scalar(b, "gossip_key", mesh.gossip().value());
      block(b, "jwt_public_key", mesh.jwtPublicKey());
      scalar(b, "management_token", mesh.managementToken().value());
      scalar(b, "server_agent_token", mesh.serverAgentToken().value());
      if (!r.meshServices().isEmpty()) {
        b.append("  # the services that may manage their own intentions\n");
        b.append("  services: [").append(String.join(", ", r.meshServices())).append("]\n");
        keys.add("services");
      }
      if (!r.fleetGroups().isEmpty()) {
        for (String g : r.fleetGroups())
          if (FleetSpec.ofGroupEntry(g).isEmpty())
            throw new SpecException(
                "fleet group",
                "must be a group (dashboard) or KV prefix and group (apps/dashboard), got " + g);
        b.append("  # the fleet groups whose watchers get a role (issue 22)\n");
        b.append("  fleet_groups: [").append(String.join(", ", r.fleetGroups())).append("]\n");
        keys.add("fleet_groups");
      }
      keys.addAll(
          List.of(
              "server_cert",
              "server_key",
              "gossip_key",
              "jwt_public_key",
              "management_token",
              "server_agent_token"));
    } else {
      Optional<String> group = spec.fleet().map(FleetSpec::group);
      String jwt =
          IntroToken.mint(
                  mesh.jwtSigningKey(), c.datacenter(), node, configured, group, r.ttl(), r.now())
              .value();
      b.append("  # short-lived, bound to node ").append(node);
      configured.ifPresent(s -> b.append(" and service ").append(s));
      group.ifPresent(g -> b.append(", fleet group ").append(g));
      b.append("; expires ")
          .append(r.now().plus(r.ttl()).truncatedTo(ChronoUnit.SECONDS))
          .append("\n");
      scalar(b, "intro_token", jwt);
      keys.add("intro_token");
    }
    String section = b.toString();
    String out = insert(text, r.configPath(), section);
    byte[] rendered = out.getBytes(StandardCharsets.UTF_8);
    check(rendered, r.configPath(), agent, section, c.role());
    return new Rendered(rendered, c.role(), List.copyOf(keys));
  }

  /**
   * The template's mesh service: its agent config's service: block or, with none, the seed's
   * service config the template writes (/srv/consul/service-config.json: a machine booted from a
   * baked image, cloud-init/prebuilt-image/), as apply will read it there (app/SeedServiceConfig).
   */
  static Optional<String> service(AgentSpec spec, byte[] template) {
    if (spec.service().isPresent()) return spec.service().map(s -> s.mesh().name());
    Optional<byte[]> seed = UserData.extractIfListed(template, SidecarFiles.SERVICE_CONFIG);
    try {
      return seed.map(b -> SpecLoader.serviceConfig(b).mesh().name());
    } catch (SpecException e) {
      throw e.in(SidecarFiles.SERVICE_CONFIG + " (the template's write_files entry)");
    }
  }

  /** The template's agent config, valid as it is but for the section we add. */
  private static AgentSpec withoutSecurity(String agent) {
    return new SpecLoader()
        .parse(
            (agent + (agent.endsWith("\n") ? "" : "\n") + "security:\n  mode: insecure\n")
                .getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The mesh service a client template runs, if it is one: what a server's security.services lists
   * (mesh user-data for a server looks at the templates beside its own). Empty for anything else, a
   * template that is not valid included.
   */
  public static Optional<String> clientService(byte[] template, String configPath) {
    try {
      AgentSpec s =
          withoutSecurity(
              new String(UserData.extract(template, configPath), StandardCharsets.UTF_8));
      if (s.consul().role() != ConsulSpec.Role.CLIENT) return Optional.empty();
      return service(s, template);
    } catch (SpecException e) {
      return Optional.empty();
    }
  }

  /**
   * The fleet group of a client template, as a server's security.fleet_groups entry ({@link
   * FleetSpec#groupEntry}); empty for anything else, a template that is not valid included.
   */
  public static Optional<String> clientFleetGroup(byte[] template, String configPath) {
    try {
      AgentSpec s =
          withoutSecurity(
              new String(UserData.extract(template, configPath), StandardCharsets.UTF_8));
      if (s.consul().role() != ConsulSpec.Role.CLIENT) return Optional.empty();
      return s.fleet().map(FleetSpec::groupEntry);
    } catch (SpecException e) {
      return Optional.empty();
    }
  }

  /** Reads the result back as the agent will and compares it with what was meant. */
  private static void check(
      byte[] rendered, String path, String agent, String section, ConsulSpec.Role role) {
    String got = new String(UserData.extract(rendered, path), StandardCharsets.UTF_8);
    String want = agent.stripTrailing() + "\n" + section.stripTrailing();
    if (!got.stripTrailing().equals(want)) {
      throw new SpecException(
          "template",
          "the agent config could not be completed in place (its write_files content must be a"
              + " literal block: content: |)");
    }
    AgentSpec spec = new SpecLoader().parse(got.getBytes(StandardCharsets.UTF_8));
    if (!spec.security().secure() || spec.consul().role() != role) {
      throw new IllegalStateException("the rendered agent config does not read back as secure");
    }
  }

  private static void block(StringBuilder b, String key, String pem) {
    b.append("  ").append(key).append(": |\n");
    for (String line : pem.strip().split("\n")) b.append("    ").append(line).append('\n');
  }

  private static void scalar(StringBuilder b, String key, String value) {
    // base64, UUIDs and JWTs hold no quote or backslash: a double-quoted scalar is exact
    b.append("  ").append(key).append(": \"").append(value).append("\"\n");
  }

  private static final Pattern PATH_LINE =
      Pattern.compile("^(\\s*)(- )?(\\s*)path:\\s*(['\"]?)(\\S+?)\\4\\s*(#.*)?$");
  private static final Pattern CONTENT_LINE =
      Pattern.compile("^(\\s*)(- )?(\\s*)content:\\s*\\|[-+]?\\s*(#.*)?$");

  /**
   * The section appended to the literal block of the write_files entry for path: after the block's
   * last non-blank line, indented like the block.
   */
  static String insert(String text, String path, String section) {
    List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
    int pathLine = -1;
    int keyIndent = -1;
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = PATH_LINE.matcher(lines.get(i));
      if (m.matches() && m.group(5).equals(path)) {
        if (pathLine >= 0) {
          throw new SpecException(
              "template", "has more than one write_files entry for " + path + "; keep one");
        }
        pathLine = i;
        keyIndent = m.group(1).length() + (m.group(2) == null ? 0 : 2) + m.group(3).length();
      }
    }
    if (pathLine < 0) {
      throw new SpecException("template", "has no write_files entry for " + path);
    }
    // the entry: from its "- " line to the next line indented less than its keys
    int start = pathLine;
    while (start > 0 && !isItemStart(lines.get(start), keyIndent)) start--;
    int end = pathLine + 1;
    while (end < lines.size() && (blank(lines.get(end)) || indent(lines.get(end)) >= keyIndent))
      end++;
    int content = -1;
    for (int i = start; i < end; i++) {
      Matcher m = CONTENT_LINE.matcher(lines.get(i));
      if (m.matches()
          && m.group(1).length() + (m.group(2) == null ? 0 : 2) + m.group(3).length()
              == keyIndent) {
        content = i;
      }
    }
    if (content < 0) {
      throw new SpecException(
          "template",
          "the write_files entry for "
              + path
              + " must carry the agent config as a literal block (content: |)");
    }
    int first = content + 1;
    while (first < lines.size() && blank(lines.get(first))) first++;
    if (first >= lines.size() || indent(lines.get(first)) <= keyIndent) {
      throw new SpecException("template", "the agent config in the template is empty");
    }
    int blockIndent = indent(lines.get(first));
    int last = first;
    for (int i = first; i < lines.size(); i++) {
      String l = lines.get(i);
      if (blank(l)) continue;
      if (indent(l) < blockIndent) break;
      last = i;
    }
    String pad = " ".repeat(blockIndent);
    List<String> add = new ArrayList<>();
    for (String l : section.split("\n")) add.add(l.isEmpty() ? "" : pad + l);
    lines.addAll(last + 1, add);
    return String.join("\n", lines);
  }

  private static boolean isItemStart(String line, int keyIndent) {
    String t = line.stripLeading();
    return t.startsWith("- ") && indent(line) + 2 <= keyIndent;
  }

  private static boolean blank(String l) {
    return l.isBlank();
  }

  private static int indent(String l) {
    int i = 0;
    while (i < l.length() && l.charAt(i) == ' ') i++;
    return i;
  }
}
