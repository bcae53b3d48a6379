package dev.consulvmagent.secure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.consulvmagent.host.SecretFiles;
import dev.consulvmagent.spec.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A mesh's secrets directory, made once by {@code mesh init DIR} on the operator's machine (no
 * Consul needed) and read by {@code mesh user-data}. Every file 0600, the directory 0700; a file
 * that exists is never overwritten, so a re-run keeps every key and only adds what is missing (a
 * new server's certificate). Layout:
 *
 * <pre>
 * mesh.json                 datacenter and domain the certificates and JWTs are for
 * ca.pem, ca-key.pem        the Consul CA (key: never leaves DIR)
 * gossip.key                32 random bytes, base64 (as consul keygen makes it)
 * jwt-signing-key.pem       EC P-256, signs intro JWTs (never leaves DIR)
 * jwt-public-key.pem        goes to servers (auto_config.authorization, the JWT auth method)
 * management.token          acl.tokens.master / initial_management: servers and the operator
 * server-agent.token        acl.tokens.agent of the servers
 * servers/NAME.pem, NAME-key.pem   a server's certificate and key
 * </pre>
 */
public final class MeshDir {
  public static final String MESH = "mesh.json";
  public static final String CA = "ca.pem";
  public static final String CA_KEY = "ca-key.pem";
  public static final String GOSSIP = "gossip.key";
  public static final String JWT_KEY = "jwt-signing-key.pem";
  public static final String JWT_PUBLIC = "jwt-public-key.pem";
  public static final String MANAGEMENT = "management.token";
  public static final String SERVER_AGENT = "server-agent.token";
  public static final String SERVERS = "servers";

  static final int MAX_FILE = 64 * 1024;
  private static final Pattern NODE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,62}");
  private static final Pattern DC = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Pattern DNS =
      Pattern.compile("(?=.{1,253}$)[A-Za-z0-9*]([A-Za-z0-9-]{0,62})(\\.[A-Za-z0-9-]{1,63})*");
  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
              + "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:]{2,39}");

  private final Path dir;

  private MeshDir(Path dir) {
    this.dir = dir;
  }

  /** A server named on the command line: NAME, or NAME=IP,IP,DNS… for extra SANs. */
  public record ServerName(String name, List<String> ips, List<String> dnsNames) {
    /** Parses NAME[=ADDR,…]; IllegalArgumentException naming what is wrong (usage, exit 2). */
    public static ServerName parse(String s) {
      String[] kv = s.split("=", 2);
      if (!NODE.matcher(kv[0]).matches()) {
        throw new IllegalArgumentException(
            "--server "
                + kv[0].replaceAll("[^\\x20-\\x7e]", "?")
                + ": a node name is letters, digits and '-' (at most 63)");
      }
      List<String> ips = new ArrayList<>();
      List<String> dns = new ArrayList<>();
      if (kv.length == 2) {
        for (String a : kv[1].split(",")) {
          if (IPV4.matcher(a).matches() || (a.contains(":") && IPV6.matcher(a).matches())) {
            ips.add(a);
          } else if (DNS.matcher(a).matches()) {
            dns.add(a.toLowerCase(Locale.ROOT));
          } else {
            throw new IllegalArgumentException(
                "--server "
                    + kv[0]
                    + ": "
                    + a.replaceAll("[^\\x20-\\x7e]", "?")
                    + " is neither an IP address nor a DNS name");
          }
        }
      }
      return new ServerName(kv[0], List.copyOf(ips), List.copyOf(dns));
    }
  }

  /** What init did with one file. */
  public record Entry(String file, boolean created, String note) {}

  /**
   * Makes what is missing in dir: the CA, gossip key, JWT key pair, tokens, and a certificate for
   * each server. Returns one entry per file (created or kept; never the content).
   */
  public static List<Entry> init(
      Path dir, String datacenter, String domain, List<ServerName> servers, Instant now) {
    if (!DC.matcher(datacenter).matches()) {
      throw new IllegalArgumentException(
          "--datacenter: lower-case letters, digits, '-' and '_' (as Consul's datacenter names)");
    }
    if (!DNS.matcher(domain).matches()) throw new IllegalArgumentException("--domain: not a name");
    SecretFiles.ensureDir(dir);
    MeshDir m = new MeshDir(dir);
    List<Entry> out = new ArrayList<>();
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("datacenter", datacenter);
    meta.put("domain", domain);
    Optional<Map<String, String>> existing = m.meta();
    if (existing.isPresent() && !existing.get().equals(meta)) {
      throw new IllegalStateException(
          dir
              + " was made for datacenter "
              + existing.get().get("datacenter")
              + " and domain "
              + existing.get().get("domain")
              + "; give the same --datacenter and --domain, or use another DIR");
    }
    out.add(m.create(MESH, () -> json(meta)));
    boolean caExists = m.has(CA) || m.has(CA_KEY);
    if (caExists && !(m.has(CA) && m.has(CA_KEY))) {
      throw new IllegalStateException(
          dir + " has only one of " + CA + " and " + CA_KEY + "; restore the other");
    }
    KeyPair caKey = caExists ? null : Pki.ecKeyPair();
    if (!caExists) {
      X509Certificate ca = Pki.ca(caKey, domain, now);
      // the key first: a CA certificate without its key would be useless
      out.add(m.create(CA_KEY, () -> Pki.pem(caKey.getPrivate())));
      out.add(m.create(CA, () -> Pki.pem(ca)));
    } else {
      out.add(new Entry(CA_KEY, false, ""));
      out.add(new Entry(CA, false, ""));
    }
    out.add(m.create(GOSSIP, MeshDir::gossipKey));
    if (m.has(JWT_KEY)) {
      out.add(new Entry(JWT_KEY, false, ""));
      if (!m.has(JWT_PUBLIC)) {
        throw new IllegalStateException(
            dir.resolve(JWT_PUBLIC)
                + " is missing but its signing key is there; restore it (servers check intro JWTs"
                + " with it)");
      }
      out.add(new Entry(JWT_PUBLIC, false, ""));
    } else {
      KeyPair jwt = Pki.ecKeyPair();
      out.add(m.create(JWT_KEY, () -> Pki.pem(jwt.getPrivate())));
      SecretFiles.replace(dir.resolve(JWT_PUBLIC), utf8(Pki.pem(jwt.getPublic())));
      out.add(new Entry(JWT_PUBLIC, true, ""));
    }
    out.add(m.create(MANAGEMENT, () -> UUID.randomUUID() + "\n"));
    out.add(m.create(SERVER_AGENT, () -> UUID.randomUUID() + "\n"));
    if (!servers.isEmpty()) SecretFiles.ensureDir(dir.resolve(SERVERS));
    for (ServerName s : servers) out.addAll(m.server(s, datacenter, domain, now));
    return out;
  }

  /** Opens an initialised directory for reading (mesh user-data). */
  public static MeshDir open(Path dir) {
    MeshDir m = new MeshDir(dir);
    if (m.meta().isEmpty()) {
      throw new IllegalStateException(
          dir + " is not a mesh secrets directory (no " + MESH + "); run: mesh init " + dir);
    }
    return m;
  }

  public String datacenter() {
    return meta().orElseThrow().get("datacenter");
  }

  public String domain() {
    return meta().orElseThrow().get("domain");
  }

  public String caCert() {
    return text(CA);
  }

  public Secret gossip() {
    return new Secret(text(GOSSIP).strip());
  }

  public String jwtPublicKey() {
    return text(JWT_PUBLIC);
  }

  public PrivateKey jwtSigningKey() {
    return damagedIsState(() -> Pki.privateKey(text(JWT_KEY), dir.resolve(JWT_KEY).toString()));
  }

  /** A file of DIR that does not parse is a broken directory (exit 1), not a usage error. */
  private static <T> T damagedIsState(Supplier<T> read) {
    try {
      return read.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(e.getMessage() + " (restore it from your backup of DIR)", e);
    }
  }

  public Secret managementToken() {
    return new Secret(text(MANAGEMENT).strip());
  }

  public Secret serverAgentToken() {
    return new Secret(text(SERVER_AGENT).strip());
  }

  public boolean hasServer(String name) {
    return has(SERVERS + "/" + name + ".pem") && has(SERVERS + "/" + name + "-key.pem");
  }

  public String serverCert(String name) {
    return text(SERVERS + "/" + name + ".pem");
  }

  public Secret serverKey(String name) {
    return new Secret(text(SERVERS + "/" + name + "-key.pem"));
  }

  public Path path() {
    return dir;
  }

  private List<Entry> server(ServerName s, String dc, String domain, Instant now) {
    String cert = SERVERS + "/" + s.name() + ".pem";
    String key = SERVERS + "/" + s.name() + "-key.pem";
    if (has(cert) || has(key)) {
      if (!(has(cert) && has(key))) {
        throw new IllegalStateException(
            dir + " has only one of " + cert + " and " + key + "; delete it to issue both anew");
      }
      List<String> want = new ArrayList<>(s.dnsNames());
      want.addAll(s.ips());
      List<String> have =
          Pki.sans(damagedIsState(() -> Pki.certificate(serverCert(s.name()), cert)));
      String note =
          have.containsAll(want)
              ? ""
              : "it lacks "
                  + String.join(", ", want.stream().filter(w -> !have.contains(w)).toList())
                  + " (delete both files and run init again to re-issue it)";
      return List.of(new Entry(key, false, note), new Entry(cert, false, note));
    }
    X509Certificate ca = damagedIsState(() -> Pki.certificate(caCert(), CA));
    PrivateKey caKey = damagedIsState(() -> Pki.privateKey(text(CA_KEY), CA_KEY));
    KeyPair k = Pki.ecKeyPair();
    X509Certificate c =
        Pki.server(ca, caKey, k.getPublic(), s.name(), dc, domain, s.ips(), s.dnsNames(), now);
    return List.of(create(key, () -> Pki.pem(k.getPrivate())), create(cert, () -> Pki.pem(c)));
  }

  private Entry create(String name, Supplier<String> content) {
    if (has(name)) return new Entry(name, false, "");
    boolean made = SecretFiles.createNew(dir.resolve(name), utf8(content.get()));
    return new Entry(name, made, "");
  }

  private boolean has(String name) {
    return SecretFiles.read(dir.resolve(name), MAX_FILE).isPresent();
  }

  private String text(String name) {
    return new String(
        SecretFiles.read(dir.resolve(name), MAX_FILE)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        dir.resolve(name) + " is missing; run: mesh init " + dir)),
        StandardCharsets.UTF_8);
  }

  private Optional<Map<String, String>> meta() {
    Optional<byte[]> b = SecretFiles.read(dir.resolve(MESH), MAX_FILE);
    if (b.isEmpty()) return Optional.empty();
    try {
      JsonNode n = new ObjectMapper().readTree(b.get());
      Map<String, String> m = new LinkedHashMap<>();
      m.put("datacenter", n.path("datacenter").asText());
      m.put("domain", n.path("domain").asText());
      if (!DC.matcher(m.get("datacenter")).matches() || !DNS.matcher(m.get("domain")).matches())
        throw new IOException("bad values");
      return Optional.of(m);
    } catch (IOException e) {
      throw new IllegalStateException(dir.resolve(MESH) + " is damaged: " + e.getMessage());
    }
  }

  private static String json(Map<String, String> m) {
    try {
      return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(m) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** 32 random bytes, base64: what `consul keygen` makes (command/keygen, 32-byte key). */
  static String gossipKey() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return Base64.getEncoder().encodeToString(k) + "\n";
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
