package dev.consulvmagent.spec;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The Consul agent: version, role and the settings written to /etc/consul.d/consul.json. */
public record ConsulSpec(
    String version,
    Role role,
    String datacenter,
    Optional<String> nodeName,
    Optional<String> bindAddr,
    Optional<String> advertiseAddr,
    String clientAddr,
    List<String> retryJoin,
    int bootstrapExpect,
    boolean ui,
    Optional<Secret> encrypt,
    Optional<Secret> aclToken,
    Optional<String> sha256,
    Map<String, Object> extraConfig) {

  public enum Role {
    SERVER,
    CLIENT
  }
}
