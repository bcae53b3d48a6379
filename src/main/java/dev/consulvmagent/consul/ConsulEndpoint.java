package dev.consulvmagent.consul;

import dev.consulvmagent.host.LocalFiles;
import dev.consulvmagent.host.TlsSettings;
import dev.consulvmagent.spec.Secret;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Where the Consul agent's HTTP API is and how to talk to it, worked out once per command and used
 * by every call that command makes. {@link #resolve} reads flags and environment exactly as
 * Consul's own CLI does (hashicorp/consul api/api.go {@code defaultConfig} and {@code NewClient},
 * command/flags/http.go): a flag wins over its variable; {@code CONSUL_HTTP_ADDR} may carry a
 * scheme ({@code http://}, {@code https://}, {@code unix://}) or none ({@code 127.0.0.1:8500} means
 * http); {@code CONSUL_HTTP_SSL} (Go ParseBool) makes it https, and an explicit {@code http://}
 * never reverts that; a path after the address is a reverse-proxy prefix; a token file, when set
 * and not blank, wins over a token. Without a flag or variable the address is the one the agent
 * config implies, else {@code 127.0.0.1:8500}. {@link #toString()} never shows the token.
 */
public record ConsulEndpoint(
    String scheme, String address, String pathPrefix, Optional<Secret> token, TlsSettings tls) {

  public static final String DEFAULT_ADDRESS = "127.0.0.1:8500";

  /** The local agent on its default port, no token: what a bare command talks to. */
  public static final ConsulEndpoint LOCAL =
      new ConsulEndpoint("http", DEFAULT_ADDRESS, "", Optional.empty(), TlsSettings.NONE);

  private static final Pattern HOST_PORT =
      Pattern.compile("(\\[[0-9A-Fa-f:.%]+]|[A-Za-z0-9._-]+)(:[0-9]{1,5})?");
  private static final int MAX_TOKEN_FILE = 64 * 1024;

  public ConsulEndpoint {
    if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("unix"))
      throw new IllegalArgumentException("scheme " + scheme);
  }

  /** The endpoint of a URL-like address, no token, no TLS files (tests, config-derived). */
  public static ConsulEndpoint of(String addr) {
    return resolve(EndpointInput.fromEnv(Map.of(), Optional.of(addr)));
  }

  /** As Consul's CLI works it out; local files (token file) read through host.LocalFiles. */
  public static ConsulEndpoint resolve(EndpointInput in) {
    return resolve(in, ConsulEndpoint::readTokenFile);
  }

  static ConsulEndpoint resolve(EndpointInput in, Function<Path, String> readFile) {
    Map<String, String> env = in.env();
    Source addr =
        flagOrEnv(in.httpAddr(), "-http-addr", env, "CONSUL_HTTP_ADDR")
            .or(() -> in.configAddr().map(a -> new Source(a, "the agent config's client_addr")))
            .orElse(new Source(DEFAULT_ADDRESS, "the default"));
    String scheme = "http";
    Optional<String> ssl = nonEmpty(env.get("CONSUL_HTTP_SSL"));
    if (ssl.isPresent() && goBool(ssl.get()).orElse(false)) scheme = "https";
    String address = addr.value().strip();
    String prefix = "";
    int sep = address.indexOf("://");
    if (sep >= 0) {
      String s = address.substring(0, sep);
      String rest = address.substring(sep + 3);
      switch (s) {
        case "http" -> {} // never revert to http if TLS was explicitly requested (api.go)
        case "https" -> scheme = "https";
        case "unix" -> scheme = "unix";
        default ->
            throw new InvalidEndpointException(
                addr.from()
                    + ": unknown protocol scheme '"
                    + printable(s)
                    + "' (http, https, unix)");
      }
      address = rest;
      if (!scheme.equals("unix")) {
        int slash = address.indexOf('/');
        if (slash >= 0) {
          prefix = address.substring(slash);
          address = address.substring(0, slash);
          if (prefix.endsWith("/")) prefix = prefix.substring(0, prefix.length() - 1);
        }
      }
    }
    if (scheme.equals("unix")) {
      if (address.isEmpty() || !address.startsWith("/") || address.indexOf('\0') >= 0)
        throw new InvalidEndpointException(
            addr.from()
                + ": unix:// needs an absolute socket path, got '"
                + printable(address)
                + "'");
    } else {
      var m = HOST_PORT.matcher(address);
      if (!m.matches())
        throw new InvalidEndpointException(
            addr.from()
                + ": '"
                + printable(addr.value())
                + "' is not an address (host:port, http://host:port, https://host:port or"
                + " unix:///path)");
      if (m.group(2) != null) {
        int port = Integer.parseInt(m.group(2).substring(1));
        if (port < 1 || port > 65535)
          throw new InvalidEndpointException(
              addr.from() + ": port " + port + " is not between 1 and 65535");
      }
      if (prefix.chars().anyMatch(c -> c < 0x21 || c == 0x7f || c == '?' || c == '#'))
        throw new InvalidEndpointException(
            addr.from() + ": the path after the address may hold no spaces, controls, ? or #");
    }

    Optional<Secret> token =
        flagOrEnv(in.token(), "-token", env, "CONSUL_HTTP_TOKEN")
            .map(s -> checkedToken(s.value(), s.from()));
    Optional<Source> tokenFile =
        flagOrEnv(in.tokenFile(), "-token-file", env, "CONSUL_HTTP_TOKEN_FILE");
    if (tokenFile.isPresent()) {
      Source f = tokenFile.get();
      String read = readFile.apply(path(f));
      if (!read.strip().isEmpty()) token = Optional.of(checkedToken(read.strip(), f.from()));
    }

    Optional<Path> caFile =
        flagOrEnv(in.caFile(), "-ca-file", env, "CONSUL_CACERT").map(ConsulEndpoint::path);
    Optional<Path> caPath =
        flagOrEnv(in.caPath(), "-ca-path", env, "CONSUL_CAPATH").map(ConsulEndpoint::path);
    Optional<Path> cert =
        flagOrEnv(in.clientCert(), "-client-cert", env, "CONSUL_CLIENT_CERT")
            .map(ConsulEndpoint::path);
    Optional<Path> key =
        flagOrEnv(in.clientKey(), "-client-key", env, "CONSUL_CLIENT_KEY")
            .map(ConsulEndpoint::path);
    if (cert.isPresent() != key.isPresent())
      throw new InvalidEndpointException(
          "both client cert and client key must be provided (-client-cert/$CONSUL_CLIENT_CERT and"
              + " -client-key/$CONSUL_CLIENT_KEY)");
    Optional<String> serverName =
        flagOrEnv(in.tlsServerName(), "-tls-server-name", env, "CONSUL_TLS_SERVER_NAME")
            .map(s -> stripPort(s.value()));
    boolean skipVerify = false;
    Optional<String> verify = nonEmpty(env.get("CONSUL_HTTP_SSL_VERIFY"));
    if (verify.isPresent() && goBool(verify.get()).map(b -> !b).orElse(false)) skipVerify = true;
    return new ConsulEndpoint(
        scheme,
        address,
        prefix,
        token,
        new TlsSettings(caFile, caPath, cert, key, serverName, skipVerify));
  }

  /**
   * The base URL calls are made against; for unix, a placeholder host the socket factory serves.
   */
  public String baseUrl() {
    return (scheme.equals("unix") ? "http://consul.unix-socket" : scheme + "://" + address)
        + pathPrefix;
  }

  /** For messages: the address as a person would type it back (no token, no credentials). */
  public String display() {
    return scheme + "://" + address + pathPrefix;
  }

  /** The environment a child consul process needs to reach the same agent (no token: see Units). */
  public Map<String, String> childEnv() {
    return Map.of(
        "CONSUL_HTTP_ADDR",
        scheme.equals("unix") ? "unix://" + address : scheme + "://" + address + pathPrefix);
  }

  @Override
  public String toString() {
    return display() + (token.isPresent() ? " (token: (sensitive))" : "");
  }

  private record Source(String value, String from) {}

  private static Optional<Source> flagOrEnv(
      Optional<String> flag, String flagName, Map<String, String> env, String var) {
    if (flag.isPresent() && !flag.get().isEmpty())
      return Optional.of(new Source(flag.get(), flagName));
    return nonEmpty(env.get(var)).map(v -> new Source(v, "$" + var));
  }

  private static Optional<String> nonEmpty(String s) {
    return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
  }

  /** Go's strconv.ParseBool; empty for anything else (Consul warns and ignores it). */
  static Optional<Boolean> goBool(String v) {
    return switch (v) {
      case "1", "t", "T", "TRUE", "true", "True" -> Optional.of(true);
      case "0", "f", "F", "FALSE", "false", "False" -> Optional.of(false);
      default -> Optional.empty();
    };
  }

  private static Secret checkedToken(String t, String from) {
    // a token travels in a header: CR/LF or other controls would split or corrupt it
    if (t.chars().anyMatch(c -> c < 0x20 || c == 0x7f))
      throw new InvalidEndpointException(from + ": the token holds control characters");
    return new Secret(t);
  }

  private static Path path(Source s) {
    try {
      if (s.value().indexOf('\0') >= 0) throw new InvalidPathException(s.value(), "NUL");
      return Path.of(s.value());
    } catch (InvalidPathException e) {
      throw new InvalidEndpointException(s.from() + ": not a file path");
    }
  }

  private static String stripPort(String server) {
    // api.go SetupTLSConfig: a port after the server name is dropped
    int colon = server.lastIndexOf(':');
    return colon > server.lastIndexOf(']') && colon >= 0 ? server.substring(0, colon) : server;
  }

  private static String readTokenFile(Path p) {
    try {
      if (!LocalFiles.isRegularFile(p))
        throw new InvalidEndpointException("token file " + p + " is not a regular file");
      try (InputStream in = LocalFiles.open(p)) {
        byte[] b = in.readNBytes(MAX_TOKEN_FILE + 1);
        if (b.length > MAX_TOKEN_FILE)
          throw new InvalidEndpointException("token file " + p + " is over 64 KiB");
        return new String(b, StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new InvalidEndpointException("cannot read token file " + p + ": " + e.getMessage());
    }
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (b.length() > 80) return b + "…";
      b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
    }
    return b.toString();
  }
}
