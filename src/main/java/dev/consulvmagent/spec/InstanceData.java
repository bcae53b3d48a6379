package dev.consulvmagent.spec;

import dev.consulvmagent.host.HostFs;
import java.util.Optional;

/**
 * The instance data cloud-init renders a Jinja user-data part with: the JSON text of
 * /run/cloud-init/instance-data-sensitive.json, or of instance-data.json when the sensitive file
 * cannot be read. cloud-init's part handler reads the sensitive file (22.4.2
 * cloudinit/handlers/jinja_template.py, JinjaTemplatePartHandler.handle_part:
 * paths.get_runpath("instance_data_sensitive")); `cloud-init query` and `render` fall back to the
 * redacted file for a reader without root (cloudinit/cmd/devel/render.py, handle_args). The agent
 * reads as root where cloud-init runs, so on a booted VM it is the same file.
 *
 * @param json the file's bytes (at most {@link #MAX_BYTES})
 * @param file the path read, for messages (never its content: the sensitive file holds secrets)
 */
public record InstanceData(byte[] json, String file) {
  public static final String SENSITIVE = "/run/cloud-init/instance-data-sensitive.json";
  public static final String REDACTED = "/run/cloud-init/instance-data.json";

  /** The largest instance-data file read (a real one is tens of KiB). */
  public static final int MAX_BYTES = 4 * 1024 * 1024;

  /**
   * The instance data under the host's root (the live host's /run/cloud-init, or DIR's under --root
   * DIR), read through the host seam as a regular file, capped; empty when neither file is there
   * (not a booted cloud-init VM).
   */
  public static Optional<InstanceData> read(HostFs fs) {
    for (String f : new String[] {SENSITIVE, REDACTED}) {
      byte[] b;
      try {
        if (!fs.exists(f)) continue;
        b = fs.readHead(f, MAX_BYTES + 1);
      } catch (RuntimeException e) {
        continue; // unreadable (not root, a link): the redacted file, as cloud-init query does
      }
      if (b.length > MAX_BYTES) {
        throw new SpecException(
            f, "is larger than " + MAX_BYTES / (1024 * 1024) + " MiB; this is not instance data");
      }
      return Optional.of(new InstanceData(b, f));
    }
    return Optional.empty();
  }
}
