package dev.consulvmagent.host;

import java.nio.file.Path;
import java.util.Optional;

/**
 * How an HTTPS client checks a server and presents itself: CA bundle file and/or directory of CA
 * certificates (PEM; none = the JDK's trust store), a client certificate and PKCS#8 key (PEM), the
 * name to check the server's certificate against instead of the URL's host, and Consul's
 * CONSUL_HTTP_SSL_VERIFY=false (no check at all; only where the operator asked for it).
 */
public record TlsSettings(
    Optional<Path> caFile,
    Optional<Path> caPath,
    Optional<Path> clientCert,
    Optional<Path> clientKey,
    Optional<String> serverName,
    boolean insecureSkipVerify) {
  public static final TlsSettings NONE =
      new TlsSettings(
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          false);
}
