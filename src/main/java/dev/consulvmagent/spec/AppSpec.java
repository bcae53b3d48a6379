package dev.consulvmagent.spec;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The application: where to download it, how it is verified (a pinned sha256, or a checksums file,
 * or explicitly none: insecure_skip_checksum), the installed binary name, and how its systemd unit
 * runs it.
 */
public record AppSpec(
    String name,
    String url,
    Optional<String> sha256,
    Optional<String> checksumsUrl,
    String binary,
    Optional<String> archiveEntry,
    List<String> args,
    Map<String, String> environment,
    Optional<Integer> port,
    boolean insecureSkipChecksum) {

  /** Without the opt-out: the download is verified (pinned sha256 or checksums list). */
  public AppSpec(
      String name,
      String url,
      Optional<String> sha256,
      Optional<String> checksumsUrl,
      String binary,
      Optional<String> archiveEntry,
      List<String> args,
      Map<String, String> environment,
      Optional<Integer> port) {
    this(name, url, sha256, checksumsUrl, binary, archiveEntry, args, environment, port, false);
  }

  public String unitName() {
    return name + ".service";
  }

  public String binaryPath() {
    return "/usr/local/bin/" + binary;
  }
}
