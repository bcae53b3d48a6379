package dev.consulvmagent.testing;

import com.sun.net.httpserver.HttpServer;
import dev.consulvmagent.host.HostFs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A local release mirror with the real download sites' paths, serving small test doubles of consul,
 * envoy and the demo apps (never the real programs), with unsigned checksum files.
 */
public final class TestMirror implements AutoCloseable {
  private final HttpServer server;
  private final Map<String, byte[]> files = new ConcurrentHashMap<>(); // replaced while served
  public final List<String> requests = new CopyOnWriteArrayList<>();

  public TestMirror(String consulVersion, String envoyVersion) throws IOException {
    String cv = consulVersion;
    byte[] consulZip = zip("consul", script("consul-double", "Consul v" + cv));
    put("/consul/" + cv + "/consul_" + cv + "_linux_amd64.zip", consulZip);
    put(
        "/consul/" + cv + "/consul_" + cv + "_SHA256SUMS",
        sums(Map.of("consul_" + cv + "_linux_amd64.zip", consulZip)));
    String gh = "/envoyproxy/envoy/releases/download/v" + envoyVersion + "/";
    byte[] envoy =
        script("envoy-double", "envoy  version: 0/" + envoyVersion + "/Clean/RELEASE/BoringSSL");
    put(gh + "envoy-" + envoyVersion + "-linux-x86_64", envoy);
    // like Envoy's releases: only the clearsigned checksums.txt.asc (by a throwaway test key)
    byte[] envoySums = sums(Map.of("envoy-" + envoyVersion + "-linux-x86_64", envoy));
    put(gh + "checksums.txt.asc", clearsigned(envoySums));
    String apps = "/hashicorp/demo-consul-101/releases/download/0.0.3.1/";
    Map<String, byte[]> appZips = new HashMap<>();
    for (String app : List.of("dashboard", "counting")) {
      byte[] z =
          zip(
              app + "-service_linux_amd64",
              script(app + "-service-double", app + "-service 0.0.3.1"));
      put(apps + app + "-service_linux_amd64.zip", z);
      appZips.put("zips/" + app + "-service_linux_amd64.zip", z);
    }
    // upstream's format (demo-consul-101 services/build_all): lines name zips/<asset>.zip
    put(apps + "SHA256SUMS.txt", sums(appZips));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        ex -> {
          String path = ex.getRequestURI().getPath();
          requests.add(path);
          byte[] body = files.get(path);
          if (body == null) {
            ex.sendResponseHeaders(404, -1);
          } else {
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
              out.write(body);
            }
          }
          ex.close();
        });
    server.start();
  }

  /** The sha256 of the Consul release archive the mirror serves for version. */
  public String consulSha256(String version) {
    return HostFs.sha256(
        files.get("/consul/" + version + "/consul_" + version + "_linux_amd64.zip"));
  }

  /**
   * Serves another Consul archive for version from now on (a rebuilt release: different bytes, its
   * checksums file updated), whose program prints marker; returns its sha256.
   */
  public String replaceConsul(String version, String marker) throws IOException {
    byte[] zip = zip("consul", script("consul-double " + marker, "Consul v" + version));
    put("/consul/" + version + "/consul_" + version + "_linux_amd64.zip", zip);
    put(
        "/consul/" + version + "/consul_" + version + "_SHA256SUMS",
        sums(Map.of("consul_" + version + "_linux_amd64.zip", zip)));
    return HostFs.sha256(zip);
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void put(String path, byte[] body) {
    files.put(path, body);
  }

  /** A shell-script double that answers "version" like the real program and exits 0 otherwise. */
  static byte[] script(String name, String version) {
    return ("#!/bin/sh\n# "
            + name
            + ": a test double, not the real program\n"
            + "case \"$1\" in version|--version|-v) echo \""
            + version
            + "\"; exit 0;; esac\nexit 0\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  static byte[] zip(String entry, byte[] content) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      z.putNextEntry(new ZipEntry(entry));
      z.write(content);
    }
    return b.toByteArray();
  }

  static byte[] sums(Map<String, byte[]> files) {
    StringBuilder s = new StringBuilder();
    files.forEach((name, b) -> s.append(HostFs.sha256(b)).append("  ").append(name).append('\n'));
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  static byte[] clearsigned(byte[] text) throws IOException {
    Path dir = Files.createTempDirectory("cva-testmirror-gpg");
    try {
      Path f = Files.write(dir.resolve("checksums.txt"), text);
      return new Gpg(dir).clearSign(f);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } finally {
      try (var w = Files.walk(dir)) {
        w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
