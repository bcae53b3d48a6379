package dev.consulvmagent.app;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.spec.Secret;
import java.util.Map;
import java.util.Optional;

/**
 * How a command reaches Consul: its Consul flags ({@link ConsulFlags}) and the process environment
 * (Consul's own variables: CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE,
 * CONSUL_CACERT, CONSUL_HTTP_SSL, …). The CLI builds it at the entry point; the facade resolves it,
 * together with the address the agent config implies, into the one {@link ConsulEndpoint} every
 * call of that command uses.
 */
public record ConsulAccess(ConsulFlags flags, Map<String, String> env) {
  public ConsulAccess {
    env = Map.copyOf(env);
  }

  /** No flags, and no environment: the config's address, else the local default. */
  public static final ConsulAccess NONE = new ConsulAccess(ConsulFlags.NONE, Map.of());

  /** The flags given and the process's own environment. */
  public static ConsulAccess of(ConsulFlags flags) {
    return new ConsulAccess(flags, System.getenv());
  }

  /** Only -http-addr and -token given (the others from the environment). */
  public static ConsulAccess of(Optional<String> httpAddr, Optional<String> token) {
    return of(flags(httpAddr, token));
  }

  /** ConsulFlags with only -http-addr and -token. */
  static ConsulFlags flags(Optional<String> httpAddr, Optional<String> token) {
    Optional<String> none = Optional.empty();
    return new ConsulFlags(httpAddr, token, none, none, none, none, none, none);
  }

  /** Whether -http-addr was given. */
  boolean httpAddrGiven() {
    return flags.httpAddr().isPresent();
  }

  /** The endpoint: flags over environment over configAddr over 127.0.0.1:8500 (Consul's order). */
  ConsulEndpoint resolve(Optional<String> configAddr) {
    return ConsulEndpoint.resolve(flags.input(env, configAddr));
  }

  /** The same endpoint with token when it has none of its own (flag or environment). */
  static ConsulEndpoint withDefaultToken(ConsulEndpoint e, Optional<String> token) {
    if (e.token().isPresent() || token.isEmpty()) return e;
    return new ConsulEndpoint(
        e.scheme(), e.address(), e.pathPrefix(), Optional.of(new Secret(token.get())), e.tls());
  }
}
