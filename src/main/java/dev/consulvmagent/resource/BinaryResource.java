package dev.consulvmagent.resource;

import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Observed;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.ResourceKey;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.FileStat;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A downloaded program. Its receipt (/var/lib/consul-vm-agent/receipts/…) records the source URL
 * and the binary's digest, size and mtime: a no-op run compares those without network and, while
 * size and mtime are unchanged, without re-hashing the file.
 */
public final class BinaryResource implements Resource {
  public static final String STATE_DIR = "/var/lib/consul-vm-agent";
  public static final String CACHE_DIR = STATE_DIR + "/cache/sha256";
  private final BinarySource artifact;
  private final List<Notification> notifications;
  private volatile BinarySource.Staged prepared;

  public BinaryResource(BinarySource artifact, Notification... notifications) {
    this.artifact = artifact;
    this.notifications = List.of(notifications);
  }

  public BinarySource source() {
    return artifact;
  }

  private String receiptPath() {
    return receiptPath(artifact.destination());
  }

  /** Where the receipt of the binary installed at destination lives (uninstall reads it too). */
  public static String receiptPath(String destination) {
    return STATE_DIR + "/receipts" + destination.replace('/', '_') + ".json";
  }

  @Override
  public Optional<String> path() {
    return Optional.of(artifact.destination());
  }

  /** Downloading creates the cache and the receipt next to our state. */
  @Override
  public List<String> sideEffectPaths() {
    return List.of("/var", "/var/lib", STATE_DIR, STATE_DIR + "/cache", CACHE_DIR, receiptPath());
  }

  /**
   * Interrupted downloads leave temp files in the cache, interrupted receipt (and ledger) writes in
   * the state directory, which holds only our files: both are swept by the engine.
   */
  @Override
  public List<String> scratchDirs() {
    return List.of(CACHE_DIR, STATE_DIR);
  }

  @Override
  public ResourceKey key() {
    return ResourceKey.of(ResourceKey.Kind.BINARY, artifact.destination());
  }

  @Override
  public State desired() {
    return state(artifact.source(), artifact.verifiedBy(), "intact", artifact.mode());
  }

  private static State state(String source, String verified, String file, int mode) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("source", source);
    f.put("verified-by", verified);
    f.put("file", file);
    f.put("mode", Ownership.mode(mode));
    return State.of(f);
  }

  @Override
  public Observed observe(Host host) {
    Optional<FileStat> st = host.fs().stat(artifact.destination());
    if (st.isEmpty()) return Observed.absent();
    Map<String, Object> r = receiptOrNone(host).orElse(Map.of());
    String file;
    if (r.isEmpty()) {
      file = "not installed by consul-vm-agent";
    } else if (Long.valueOf(st.get().size()).equals(num(r.get("size")))
        && Long.valueOf(st.get().mtimeMillis()).equals(num(r.get("mtime")))) {
      file = "intact";
    } else {
      file =
          sameAsInstalled(host.fs(), artifact.destination(), r)
              ? "intact"
              : "modified since install";
    }
    // the archive it came from has the pinned digest: what a pinned install would have verified
    // (a bake verified by a checksums file, an instance pinning the same archive: no reinstall)
    String verified = String.valueOf(r.getOrDefault("verified-by", "(unknown)"));
    if (artifact.pinnedSha256().map(pin -> pin.equals(r.get("archive_sha256"))).orElse(false))
      verified = artifact.verifiedBy();
    return Observed.present(
        state(
            String.valueOf(r.getOrDefault("source", "(unknown)")),
            verified,
            file,
            st.get().mode()));
  }

  /**
   * Whether the file at path still has the digest its receipt recorded ({@link ProgramDigest});
   * false when the receipt records none.
   */
  private static boolean sameAsInstalled(HostFs fs, String path, Map<String, Object> receipt) {
    return ProgramDigest.inReceipt(receipt).map(d -> d.ofFile(fs, path).equals(d)).orElse(false);
  }

  private static Long num(Object o) {
    return o instanceof Number n ? n.longValue() : null;
  }

  private Optional<Map<String, Object>> receipt(Host host) {
    return host.fs()
        .readIfExists(receiptPath())
        .flatMap(
            b -> {
              try {
                return Optional.of(Json.parseObject(b));
              } catch (IOException e) {
                return Optional.empty();
              }
            });
  }

  private Optional<Map<String, Object>> receiptOrNone(Host host) {
    try {
      return receipt(host);
    } catch (UncheckedIOException e) {
      return Optional.empty(); // not one we wrote (a special file, 300 MB): not installed by us
    }
  }

  @Override
  public boolean hasPreparation() {
    return true;
  }

  /** Where the staged temp lies (removed through its directory's handle, never by path). */
  private HostFs preparedIn;

  @Override
  public void prepare(Host host) {
    prepared = artifact.prepare(host.fs(), CACHE_DIR);
    preparedIn = host.fs();
  }

  @Override
  public void discardPreparation() {
    BinarySource.Staged unused = prepared;
    prepared = null;
    if (unused != null && preparedIn != null) preparedIn.discardQuietly(unused.temp());
  }

  @Override
  public void converge(Host host, Observed observed) {
    if (observed instanceof Observed.Present p
        && artifact.source().equals(p.state().get("source"))
        && "intact".equals(p.state().get("file"))
        && installedFromVerifiedArchive(host)) {
      int[] root = Ownership.ids(host, "root", "root");
      host.fs()
          .setAttributes(
              artifact.destination(), artifact.mode(), root[0], root[1]); // only the mode differs
      writeReceipt(host, null);
      return;
    }
    BinarySource.Staged ready = prepared;
    if (ready == null) {
      prepare(host);
      ready = prepared;
    }
    int[] root = Ownership.ids(host, "root", "root");
    host.fs().installTemp(ready.temp(), artifact.destination(), artifact.mode(), root[0], root[1]);
    prepared = null;
    writeReceipt(host, ready);
  }

  /**
   * Whether the installed program came from the archive this run verifies (the pin, else what the
   * preparation verified): only then may a new receipt vouch for it without installing anew. The
   * same upstream address is not enough: a bake verified by an unsigned checksums file from a
   * mirror, then an instance pinning the genuine release's digest, must get the genuine program,
   * not a receipt that calls the old one pinned.
   */
  private boolean installedFromVerifiedArchive(Host host) {
    Object installed = receiptOrNone(host).orElse(Map.of()).get("archive_sha256");
    if (installed == null) return false;
    Optional<String> expected = artifact.pinnedSha256();
    if (expected.isEmpty()) {
      if (prepared == null) prepare(host);
      expected = Optional.of(prepared.archiveSha256());
    }
    return expected.get().equals(installed);
  }

  private void writeReceipt(Host host, BinarySource.Staged ready) {
    FileStat st = host.fs().stat(artifact.destination()).orElseThrow();
    Map<String, Object> old = receipt(host).orElse(Map.of());
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("source", artifact.source());
    r.put("fetched-from", artifact.fetchedFrom());
    r.put("verified-by", artifact.verifiedBy());
    r.put("archive_sha256", ready != null ? ready.archiveSha256() : old.get("archive_sha256"));
    // the same program when nothing was installed (observe found it intact): its digest stays
    ProgramDigest digest =
        ready != null
            ? ready.binaryDigest()
            : ProgramDigest.inReceipt(old)
                .orElseGet(() -> ProgramDigest.sha256(host.fs().sha256(artifact.destination())));
    digest.into(r);
    r.put("size", st.size());
    r.put("mtime", st.mtimeMillis());
    int[] root = Ownership.ids(host, "root", "root");
    host.fs().writeAtomic(receiptPath(), Json.render(r), 0644, root[0], root[1]);
  }

  @Override
  public List<Notification> notifications(Change change) {
    return notifications;
  }
}
