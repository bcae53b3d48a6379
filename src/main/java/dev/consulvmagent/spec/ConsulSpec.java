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
    String retryInterval,
    int bootstrapExpect,
    boolean ui,
    Optional<Secret> encrypt,
    Optional<Secret> aclToken,
    Optional<String> sha256,
    Map<String, Object> extraConfig) {

  /**
   * consul.retry_interval's default: Consul's own is 30s (retry_interval = "30s" in
   * agent/config/default.go; "Time to wait between join attempts. Defaults to 30s.", the agent
   * configuration reference), which a client booted with its server waits out whenever it tries
   * before the server listens (BENCHMARKS.md, issue 23: 30 s of a 50 s boot to mesh). One attempt
   * is one connection per retry_join address; after a successful join there are none.
   */
  public static final String DEFAULT_RETRY_INTERVAL = "2s";

  public enum Role {
    SERVER,
    CLIENT
  }
}
