package dev.consulvmagent.artifact;

import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.AppSpec;
import dev.consulvmagent.spec.DownloadsSpec;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Turns the spec into the artifacts to install: Consul, Envoy and the application. */
public final class Artifacts {
  public static final String HASHICORP_KEY = "hashicorp-security.asc";
  public static final String ENVOY_KEY = "envoy-maintainers.asc";
  static final String HASHICORP = "https://releases.hashicorp.com";
  static final String GITHUB = "https://github.com";

  /** The explicit opt-out for an app whose upstream publishes no digest. */
  public static final String SKIP_CHECKSUM = "app.insecure_skip_checksum";

  private Artifacts() {}

  public static String detectArch() {
    String a = System.getProperty("os.arch", "amd64");
    return switch (a) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default ->
          throw new ArtifactException(
              "unsupported architecture " + a + "; set downloads.arch to amd64 or arm64");
    };
  }

  public static List<Artifact> of(AgentSpec spec, Optional<String> mirrorOverride) {
    Optional<String> mirror = mirrorOverride.or(() -> spec.downloads().mirror());
    String arch = spec.downloads().arch().orElseGet(Artifacts::detectArch);
    boolean signed = spec.downloads().verifySignatures();
    List<Artifact> out = new ArrayList<>();

    String cv = spec.consul().version();
    String cvPath = cv.replace("+", "%2B");
    String cdir = HASHICORP + "/consul/" + cvPath + "/";
    String czip = "consul_" + cv + "_linux_" + arch + ".zip";
    Verification cver =
        spec.consul()
            .sha256()
            .<Verification>map(Verification.Pinned::new)
            .orElseGet(
                () ->
                    new Verification.ChecksumsFile(
                        rebase(cdir + "consul_" + cvPath + "_SHA256SUMS", mirror),
                        czip,
                        signed
                            ? new Verification.Detached(
                                rebase(
                                    cdir + "consul_" + cvPath + "_SHA256SUMS.72D7468F.sig", mirror),
                                rebase(cdir + "consul_" + cvPath + "_SHA256SUMS.sig", mirror),
                                HASHICORP_KEY)
                            : new Verification.Unsigned()));
    String curl = cdir + "consul_" + cvPath + "_linux_" + arch + ".zip";
    out.add(
        new Artifact(
            "consul " + cv,
            rebase(curl, mirror),
            curl,
            cver,
            Artifact.Packing.ZIP,
            Optional.of("consul"),
            "/usr/bin/consul",
            0755,
            spec.downloads().maxSizeMib().consul() * MIB));

    String ev = spec.envoy().version();
    String edir = GITHUB + "/envoyproxy/envoy/releases/download/v" + ev + "/";
    String easset = "envoy-" + ev + "-linux-" + (arch.equals("arm64") ? "aarch_64" : "x86_64");
    // Envoy's release publishes the clearsigned checksums.txt.asc (envoyproxy/envoy#30920; signed
    // lists already for v1.26.1, envoyproxy/envoy#27131: "files are hashed with sha256, and the
    // message is hashed and signed with sha512") and, since envoyproxy/toolshed PR #3307 (as
    // issue 12 cites it), no unsigned checksums.txt: unsigned mode reads the .asc's body.
    String easc = rebase(edir + "checksums.txt.asc", mirror);
    Verification ever =
        spec.envoy()
            .sha256()
            .<Verification>map(Verification.Pinned::new)
            .orElseGet(
                () ->
                    signed
                        ? new Verification.ChecksumsFile(
                            easc, easset, new Verification.Clearsigned(ENVOY_KEY))
                        : new Verification.ChecksumsFile(
                            easc,
                            easset,
                            new Verification.ClearsignedBodyOnly(
                                rebase(edir + "checksums.txt", mirror))));
    out.add(
        new Artifact(
            "envoy " + ev,
            rebase(edir + easset, mirror),
            edir + easset,
            ever,
            Artifact.Packing.RAW,
            Optional.empty(),
            "/usr/bin/envoy",
            0755,
            spec.downloads().maxSizeMib().envoy() * MIB));

    long appMax = spec.downloads().maxSizeMib().app() * MIB;
    spec.app().ifPresent(app -> out.add(app(app, mirror, appMax)));
    return out;
  }

  private static final long MIB = 1L << 20;

  /**
   * The download bounds the config sets (downloads.max_size_mib.checksums, speed_limit, speed_time)
   * over the defaults; the per-artifact maxima travel with each {@link Artifact}.
   */
  public static Limits limits(AgentSpec spec) {
    DownloadsSpec d = spec.downloads();
    return Limits.DEFAULT
        .withMaxDocument(d.maxSizeMib().checksums() * MIB)
        .withSpeedLimit(d.speedLimit(), Duration.ofSeconds(d.speedTimeSeconds()));
  }

  private static Artifact app(AppSpec app, Optional<String> mirror, long max) {
    String url = rebase(app.url(), mirror);
    if (app.insecureSkipChecksum()) {
      return new Artifact(
          app.name(),
          url,
          app.url(),
          new Verification.Unverified(SKIP_CHECKSUM + ": true"),
          Artifact.packingOf(url),
          app.archiveEntry(),
          app.binaryPath(),
          0755,
          max);
    }
    Verification v =
        app.sha256()
            .<Verification>map(Verification.Pinned::new)
            .orElseGet(
                () ->
                    new Verification.ChecksumsFile(
                        rebase(app.checksumsUrl().orElseThrow(), mirror),
                        url.substring(url.lastIndexOf('/') + 1),
                        new Verification.Unsigned()));
    return new Artifact(
        app.name(),
        url,
        app.url(),
        v,
        Artifact.packingOf(url),
        app.archiveEntry(),
        app.binaryPath(),
        0755,
        max);
  }

  /**
   * What plan, apply and status must say every time: a download installed without any digest (the
   * explicit opt-out), never silently.
   */
  public static List<String> warnings(AgentSpec spec) {
    List<String> w = new ArrayList<>();
    spec.app()
        .filter(AppSpec::insecureSkipChecksum)
        .ifPresent(
            app ->
                w.add(
                    "app "
                        + app.name()
                        + " is downloaded WITHOUT any checksum ("
                        + SKIP_CHECKSUM
                        + ": true): a tampered or"
                        + " replaced "
                        + app.url()
                        + " would be installed and run; pin app.sha256 to verify it"));
    return w;
  }

  /** A mirror given as a directory path means a file: URL. */
  public static String mirrorUrl(String mirror) {
    return mirror.startsWith("/") ? Path.of(mirror).toUri().toString() : mirror;
  }

  /**
   * Replaces scheme, host and port of url with the mirror's (a URL or a directory), keeping the
   * path.
   */
  static String rebase(String url, Optional<String> mirrorSetting) {
    if (mirrorSetting.isEmpty()) return url;
    Optional<String> mirror = mirrorSetting.map(Artifacts::mirrorUrl);
    URI u = URI.create(url);
    String base =
        mirror.get().endsWith("/")
            ? mirror.get().substring(0, mirror.get().length() - 1)
            : mirror.get();
    return base + u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
  }
}
