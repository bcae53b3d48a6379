package dev.consulvmagent.app;

import dev.consulvmagent.consul.EndpointInput;
import java.util.Map;
import java.util.Optional;

/**
 * What a command was told about the Consul agent on its command line, with Consul's own flag names
 * (-http-addr, -token, -token-file, -ca-file, -ca-path, -client-cert, -client-key,
 * -tls-server-name); each empty when not given, so the environment (CONSUL_HTTP_ADDR, …) decides as
 * it does for Consul's CLI (consul/ConsulEndpoint).
 */
public record ConsulFlags(
    Optional<String> httpAddr,
    Optional<String> token,
    Optional<String> tokenFile,
    Optional<String> caFile,
    Optional<String> caPath,
    Optional<String> clientCert,
    Optional<String> clientKey,
    Optional<String> tlsServerName) {

  public static final ConsulFlags NONE =
      new ConsulFlags(
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty());

  EndpointInput input(Map<String, String> env, Optional<String> configAddr) {
    return new EndpointInput(
        httpAddr,
        token,
        tokenFile,
        caFile,
        caPath,
        clientCert,
        clientKey,
        tlsServerName,
        env,
        configAddr);
  }
}
