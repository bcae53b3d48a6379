package dev.consulvmagent.cli;

import dev.consulvmagent.app.Fleet;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Consul's own flags for reaching an agent (consul's command/flags/http.go spelling, one dash; two
 * work too). Unset flags fall back to CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN(_FILE), CONSUL_CACERT,
 * ... and then 127.0.0.1:8500, as Consul's CLI does. A token on the command line is visible in ps:
 * prefer -token-file or CONSUL_HTTP_TOKEN_FILE.
 */
final class ConsulFlags {
  @Option(
      names = {"-http-addr", "--http-addr"},
      paramLabel = "ADDR",
      description = "Consul HTTP API address (CONSUL_HTTP_ADDR).")
  String httpAddr;

  @Option(
      names = {"-token", "--token"},
      paramLabel = "TOKEN",
      description = "ACL token (CONSUL_HTTP_TOKEN); prefer -token-file.")
  String token;

  @Option(
      names = {"-token-file", "--token-file"},
      paramLabel = "FILE",
      description = "File holding the ACL token (CONSUL_HTTP_TOKEN_FILE).")
  String tokenFile;

  @Option(
      names = {"-ca-file", "--ca-file"},
      paramLabel = "FILE",
      description = "CA certificate for HTTPS (CONSUL_CACERT).")
  String caFile;

  @Option(
      names = {"-ca-path", "--ca-path"},
      paramLabel = "DIR",
      description = "Directory of CA certificates (CONSUL_CAPATH).")
  String caPath;

  @Option(
      names = {"-client-cert", "--client-cert"},
      paramLabel = "FILE",
      description = "Client certificate (CONSUL_CLIENT_CERT).")
  String clientCert;

  @Option(
      names = {"-client-key", "--client-key"},
      paramLabel = "FILE",
      description = "Client key (CONSUL_CLIENT_KEY).")
  String clientKey;

  @Option(
      names = {"-tls-server-name", "--tls-server-name"},
      paramLabel = "NAME",
      description = "Server name for TLS (CONSUL_TLS_SERVER_NAME).")
  String tlsServerName;

  Fleet.Connection connection() {
    return new Fleet.Connection(
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
