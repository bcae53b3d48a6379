package dev.consulvmagent.secure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A mesh made by mesh init in a temp dir, and the real secret values to grep outputs for. */
public final class MeshFixture {
  public final Path dir;
  public final MeshDir mesh;

  public MeshFixture(Path dir, String... servers) {
    this.dir = dir;
    List<MeshDir.ServerName> names = new ArrayList<>();
    for (String s : servers) names.add(MeshDir.ServerName.parse(s));
    MeshDir.init(dir, "dc1", "consul", names, Instant.now());
    this.mesh = MeshDir.open(dir);
  }

  /** The command line of {@code mesh user-data} for machine from template into out. */
  public String[] userDataArgs(String machine, Object template, Path out) {
    return new String[] {
      "mesh",
      "user-data",
      dir.toString(),
      "--machine",
      machine,
      "--template",
      template.toString(),
      "-o",
      out.toString()
    };
  }

  /** The content of a file of DIR, as written (the secret itself). */
  public String file(String name) {
    try {
      return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The body lines of a PEM file (what would show if it leaked, in any indentation). */
  public List<String> pemBody(String name) {
    return file(name).lines().filter(l -> !l.startsWith("-----")).toList();
  }

  /** Every value a client must never see: CA key, JWT signing key, gossip key, tokens. */
  public List<String> neverOnAClient(String server) {
    List<String> out = new ArrayList<>();
    out.addAll(pemBody(MeshDir.CA_KEY));
    out.addAll(pemBody(MeshDir.JWT_KEY));
    out.addAll(pemBody(MeshDir.SERVERS + "/" + server + "-key.pem"));
    out.add(file(MeshDir.GOSSIP).strip());
    out.add(file(MeshDir.MANAGEMENT).strip());
    out.add(file(MeshDir.SERVER_AGENT).strip());
    return out;
  }
}
