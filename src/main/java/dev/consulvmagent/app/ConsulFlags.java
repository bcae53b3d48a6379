package dev.consulvmagent.app;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.EndpointInput;
import dev.consulvmagent.spec.Secret;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * What a command was told about reaching Consul: its -http-addr and -token flags (empty when not
 * given) and the process environment (Consul's own variables: CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN,
 * CONSUL_HTTP_TOKEN_FILE, CONSUL_CACERT, CONSUL_HTTP_SSL, …). The CLI builds it at the entry point;
 * the facade resolves it, together with the address the agent config implies, into the one {@link
 * ConsulEndpoint} every call of that command uses.
 */
public record ConsulFlags(
    Optional<String> httpAddr, Optional<String> token, Map<String, String> env) {
  public ConsulFlags {
    env = Map.copyOf(env);
  }

  /** No flags, and no environment: the config's address, else the local default. */
  public static final ConsulFlags NONE =
      new ConsulFlags(Optional.empty(), Optional.empty(), Map.of());

  /** The process's own environment and the flags given. */
  public static ConsulFlags of(Optional<String> httpAddr, Optional<String> token) {
    return new ConsulFlags(httpAddr, token, System.getenv());
  }

  /** The endpoint: flags over environment over configAddr over 127.0.0.1:8500 (Consul's order). */
  ConsulEndpoint resolve(Optional<String> configAddr) {
    return ConsulEndpoint.resolve(
        EndpointInput.fromEnv(env, configAddr)
            .withHttpAddr(httpAddr)
            .withToken(token, Optional.empty()));
  }

  /** The same endpoint with token when it has none of its own (flag or environment). */
  static ConsulEndpoint withDefaultToken(ConsulEndpoint e, Optional<String> token) {
    if (e.token().isPresent() || token.isEmpty()) return e;
    return new ConsulEndpoint(
        e.scheme(), e.address(), e.pathPrefix(), Optional.of(new Secret(token.get())), e.tls());
  }

  /** The transport for an endpoint, each call bounded by timeout. */
  static ConsulHttp http(ConsulEndpoint e, Duration timeout) {
    return new ConsulHttp(e, timeout);
  }
}
