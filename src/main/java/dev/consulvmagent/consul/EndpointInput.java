package dev.consulvmagent.consul;

import java.util.Map;
import java.util.Optional;

/**
 * What a command was told about the Consul endpoint: its flags (empty when not given), the process
 * environment, and the address the agent config implies (empty when the command reads no config).
 * {@link ConsulEndpoint#resolve} turns it into the one endpoint every call uses.
 */
public record EndpointInput(
    Optional<String> httpAddr,
    Optional<String> token,
    Optional<String> tokenFile,
    Optional<String> caFile,
    Optional<String> caPath,
    Optional<String> clientCert,
    Optional<String> clientKey,
    Optional<String> tlsServerName,
    Map<String, String> env,
    Optional<String> configAddr) {

  public EndpointInput {
    env = Map.copyOf(env);
  }

  /** No flags: the environment and the config's address only. */
  public static EndpointInput fromEnv(Map<String, String> env, Optional<String> configAddr) {
    Optional<String> none = Optional.empty();
    return new EndpointInput(none, none, none, none, none, none, none, none, env, configAddr);
  }

  public EndpointInput withHttpAddr(Optional<String> a) {
    return new EndpointInput(
        a, token, tokenFile, caFile, caPath, clientCert, clientKey, tlsServerName, env, configAddr);
  }

  public EndpointInput withToken(Optional<String> t, Optional<String> file) {
    return new EndpointInput(
        httpAddr, t, file, caFile, caPath, clientCert, clientKey, tlsServerName, env, configAddr);
  }
}
