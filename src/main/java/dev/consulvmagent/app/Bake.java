package dev.consulvmagent.app;

import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.ConsulSpec;
import dev.consulvmagent.spec.SpecException;
import java.util.ArrayList;
import java.util.List;

/**
 * apply --bake: a base image holds what every instance shares and nothing that makes a machine
 * itself. The config may not carry what is per-instance (refused, exit 3, nothing changed: it would
 * not be baked, and a reader could think it was); what the root itself holds that would make two
 * instances one (a machine-id, SSH host keys, a Consul data dir with its node-id) is named in a
 * warning, with what the image builder must do about it.
 */
final class Bake {
  private Bake() {}

  /** Refuses per-instance settings in a bake config, all of them at once. */
  static void check(AgentSpec spec) {
    List<SpecException> found = new ArrayList<>();
    ConsulSpec c = spec.consul();
    String why = "is per-instance: give it in the instance's user-data, not the base image";
    if (c.nodeName().isPresent()) found.add(new SpecException("consul.node_name", why));
    if (c.bindAddr().isPresent()) found.add(new SpecException("consul.bind_addr", why));
    if (c.advertiseAddr().isPresent()) found.add(new SpecException("consul.advertise_addr", why));
    if (!c.retryJoin().isEmpty()) found.add(new SpecException("consul.retry_join", why));
    if (c.encrypt().isPresent())
      found.add(new SpecException("consul.encrypt", "is a secret " + why.substring(3)));
    if (c.aclToken().isPresent())
      found.add(new SpecException("consul.acl_token", "is a secret " + why.substring(3)));
    if (spec.app().isPresent()) found.add(new SpecException("app", why));
    // the secure mesh's keys, certificates and tokens are each instance's (its user-data)
    var sec = spec.security();
    String secret = "is a secret " + why.substring(3);
    if (sec.serverKey().isPresent()) found.add(new SpecException("security.server_key", secret));
    if (sec.gossipKey().isPresent()) found.add(new SpecException("security.gossip_key", secret));
    if (sec.managementToken().isPresent())
      found.add(new SpecException("security.management_token", secret));
    if (sec.serverAgentToken().isPresent())
      found.add(new SpecException("security.server_agent_token", secret));
    if (sec.introToken().isPresent()) found.add(new SpecException("security.intro_token", secret));
    if (spec.service().isPresent()) found.add(new SpecException("service", why));
    if (!found.isEmpty()) throw SpecException.of(found);
  }

  /** Warnings for identity the root already holds (the agent never creates any of these). */
  static void warnIdentity(HostFs fs, EventSink events) {
    if (fs.readIfExists("/etc/machine-id").map(b -> b.length > 1).orElse(false)) {
      events.info(
          "warning: bake: /etc/machine-id is set; empty it before capturing the image"
              + " (truncate -s 0 /etc/machine-id): systemd makes a new one at first boot");
    }
    if (fs.exists("/var/lib/dbus/machine-id")) {
      events.info(
          "warning: bake: /var/lib/dbus/machine-id exists; remove it before capturing the image"
              + " (with an empty /etc/machine-id, systemd's first boot copies it: every instance"
              + " would share one id)");
    }
    if (fs.list("/etc/ssh").stream().anyMatch(f -> f.startsWith("ssh_host_"))) {
      events.info(
          "warning: bake: /etc/ssh/ssh_host_* exist; remove them before capturing the image"
              + " (cloud-init makes new ones at first boot)");
    }
    if (!fs.list("/var/lib/consul").isEmpty()) {
      events.info(
          "warning: bake: /var/lib/consul is not empty (a Consul ran here: its node-id would be"
              + " every instance's); empty it before capturing the image");
    }
  }
}
