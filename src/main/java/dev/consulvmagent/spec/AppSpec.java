package dev.consulvmagent.spec;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The application: where to download it, how it is verified (a pinned sha256, or a checksums
 * file), the installed binary name, and how its systemd unit runs it.
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
    Optional<Integer> port) {

  public String unitName() {
    return name + ".service";
  }

  public String binaryPath() {
    return "/usr/local/bin/" + binary;
  }
}
