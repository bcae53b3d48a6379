package dev.consulvmagent.cli;

import dev.consulvmagent.app.ConsulFlags;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Consul's own HTTP flags (command/flags/http.go), for every command that talks to the agent: the
 * same names (one dash or two) and the same environment variables when a flag is not given.
 */
final class ConsulOptions {
  @Option(
      names = "--http-addr",
      paramLabel = "ADDR",
      description =
          "The Consul agent's HTTP API: host:port, http://…, https://… or unix:///path"
              + " (default: $CONSUL_HTTP_ADDR, else the agent config's address, else"
              + " 127.0.0.1:8500).")
  String httpAddr;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description =
          "ACL token (default: $CONSUL_HTTP_TOKEN). Prefer --token-file: argv is visible.")
  String token;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "File holding the ACL token; wins over --token (default: $CONSUL_HTTP_TOKEN_FILE).")
  String tokenFile;

  @Option(
      names = "--ca-file",
      paramLabel = "FILE",
      description = "CA certificate to verify the agent's HTTPS (default: $CONSUL_CACERT).")
  String caFile;

  @Option(
      names = "--ca-path",
      paramLabel = "DIR",
      description = "Directory of CA certificates (default: $CONSUL_CAPATH).")
  String caPath;

  @Option(
      names = "--client-cert",
      paramLabel = "FILE",
      description =
          "Client certificate for HTTPS, with --client-key (default: $CONSUL_CLIENT_CERT).")
  String clientCert;

  @Option(
      names = "--client-key",
      paramLabel = "FILE",
      description = "Client key for HTTPS, with --client-cert (default: $CONSUL_CLIENT_KEY).")
  String clientKey;

  @Option(
      names = "--tls-server-name",
      paramLabel = "NAME",
      description =
          "Server name to verify in the agent's certificate (default: $CONSUL_TLS_SERVER_NAME).")
  String tlsServerName;

  /** The flags as given (each empty when not), for every command that reaches Consul. */
  ConsulFlags flags() {
    return new ConsulFlags(
        Optional.ofNullable(httpAddr),
        Optional.ofNullable(token),
        Optional.ofNullable(tokenFile),
        Optional.ofNullable(caFile),
        Optional.ofNullable(caPath),
        Optional.ofNullable(clientCert),
        Optional.ofNullable(clientKey),
        Optional.ofNullable(tlsServerName));
  }
}
