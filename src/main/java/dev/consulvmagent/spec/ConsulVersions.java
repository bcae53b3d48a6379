package dev.consulvmagent.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one table of which Consul agent-config key, service-definition key, CLI flag or feature needs
 * which Consul version, each row with its upstream source. Renderers ask {@link #has} before
 * writing a key; {@link #check} refuses, naming {@code consul.version}, a configuration that needs
 * a feature its version lacks.
 *
 * <p>Keys we write that every version from {@link #MINIMUM} on knows are not rows: datacenter,
 * data_dir, server, bootstrap_expect, node_name, bind_addr, advertise_addr, client_addr,
 * retry_join, connect.enabled, ports.grpc, ports.dns, log_level, encrypt, acl.tokens, and in a
 * service definition name, id, port, tags, meta, check, connect.sidecar_service.proxy.upstreams
 * (destination_type, datacenter, local_bind_port) and proxy.config. Real Consul 1.8.7's {@code
 * consul validate} accepts all of them (ConsulValidateRealTest). ports.grpc is Envoy's xDS port
 * since Envoy support came (1.3.0: hashicorp/consul CHANGELOG 1.5.0, "back to 1.3.0 where Envoy
 * support was introduced"); from 1.14 it is plain-text only and clients need it set (we always set
 * it). Not written, so not rows: ports.grpc_tls (1.14+), peering.enabled (1.13+),
 * ui_config.metrics_* (1.9+). A new key goes into this table before it is rendered.
 */
public final class ConsulVersions {
  /** The oldest Consul whose rendering was checked by a real binary (Debian's 1.8.7). */
  public static final Version MINIMUM = Version.parse("1.8.0");

  /** Keys and features that not every supported Consul knows, with the release that added them. */
  public enum Feature {
    /**
     * Agent config {@code ui_config.enabled}; older versions take {@code ui}. hashicorp/consul PR
     * #8694 (.changelog/8694.txt, 1.9.0): "moved ui config options to a new ui_config stanza"; real
     * 1.8.7: "invalid config key ui_config".
     */
    UI_CONFIG("1.9.0", "ui_config (older versions take ui)"),
    /**
     * {@code service-intentions} config entries, one per destination with {@code Sources: [{Name,
     * Action}]}: Consul 1.9.0 (website/content/docs/release-notes 1.9.x "Application-Aware
     * Intentions"; commands/intention/create.mdx: "deprecated in Consul 1.9.0 in favor of using the
     * config entry", its HTTP endpoint POST /v1/connect/intentions still served on top of the
     * entries). The agent's allow_from maps onto both; on 1.8 only the legacy API exists (real
     * 1.8.7: no such config kind).
     */
    SERVICE_INTENTIONS_CONFIG_ENTRY(
        "1.9.0", "service-intentions config entries (1.8 has only /v1/connect/intentions)"),
    /**
     * {@code proxy.mode: transparent} and {@code proxy.transparent_proxy}: transparent proxy is
     * Consul 1.10.0+ (hashicorp/consul-helm PR #1000 CHANGELOG: "requires Consul 1.10.0 or higher";
     * hashicorp/consul PR #14009 docs: "Consul 1.10.0+"); real 1.8.7 rejects
     * service.connect.sidecar_service.proxy.mode and …proxy.transparent_proxy.
     */
    TRANSPARENT_PROXY("1.10.0", "transparent proxy (proxy.mode, proxy.transparent_proxy)"),
    /**
     * The {@code virtual} tagged address is what transparent proxies match upstreams on
     * (hashicorp/consul PR #10162, backport/1.10: "Only consider virtual IPs for transparent
     * proxies"); without transparent proxy it has no effect.
     */
    VIRTUAL_TAGGED_ADDRESS(
        "1.10.0", "the virtual tagged address (alpha.consul.hashicorp.com/virtual-ip)"),
    /**
     * {@code consul connect envoy -prometheus-scrape-path}: hashicorp/consul PR #9768, first in
     * 1.10 (hashicorp/consul-k8s issue #482: "added after 1.9.4 was released"; consul-helm issue
     * #919: "you need to be using Consul 1.10.0-alpha1 or above"); real 1.8.7 has no such flag.
     */
    PROMETHEUS_SCRAPE_PATH("1.10.0", "consul connect envoy -prometheus-scrape-path (metrics)"),
    /**
     * Upstream {@code destination_peer}: hashicorp/consul PR #12900 ("peering: Make Upstream
     * peer-aware", 2022-04) for 1.13; peering shipped as a preview in 1.13.0 (PR #13433 docs use
     * hashicorp/consul:1.13.0-alpha2, PR #14011 "Cluster Peering beta").
     */
    DESTINATION_PEER("1.13.0", "peered upstreams (destination_peer)"),
    /**
     * {@code consul connect envoy -ignore-envoy-compatibility}: hashicorp/consul PR #15818 added
     * Consul's own Envoy version check and this flag to skip it, in 1.15.0. Before 1.15 Consul does
     * not check, so the flag is neither known nor needed.
     */
    IGNORE_ENVOY_COMPATIBILITY("1.15.0", "consul connect envoy -ignore-envoy-compatibility"),
    /**
     * Agent config {@code acl.tokens.initial_management}; older versions take {@code
     * acl.tokens.master}, which 1.11 deprecates. hashicorp/consul PR #11665 ("Rename master and
     * agent_master ACL tokens in the config file format", website options.mdx: "master … Deprecated
     * in Consul 1.11. Use the acl.tokens.initial_management field instead"); real 1.8.7 bootstraps
     * its ACLs from acl.tokens.master (SecureConsulRealTest).
     */
    INITIAL_MANAGEMENT("1.11.0", "acl.tokens.initial_management (older versions take master)");

    private final Version since;
    private final String what;

    Feature(String since, String what) {
      this.since = Version.parse(since);
      this.what = what;
    }

    public Version since() {
      return since;
    }

    public String what() {
      return what;
    }
  }

  private ConsulVersions() {}

  /** Whether Consul {@code version} (a release version like 1.8.7 or 1.20.8+ent) knows f. */
  public static boolean has(String version, Feature f) {
    return Version.parse(version).atLeast(f.since());
  }

  /** Refuses (exit 3 naming consul.version) what the configured Consul version lacks. */
  public static void check(AgentSpec spec) {
    String v = spec.consul().version();
    if (!Version.parse(v).atLeast(MINIMUM)) {
      throw new SpecException(
          "consul.version",
          "Consul "
              + v
              + " is older than "
              + MINIMUM
              + ", the oldest version this agent renders for");
    }
    spec.service().ifPresent(s -> requireMesh(v, s.mesh(), "service"));
  }

  /**
   * Refuses a mesh service that needs a feature Consul {@code version} lacks. Used by validate and
   * by sidecar-init, so a registration is never rendered with a meaning silently dropped.
   */
  public static void requireMesh(String version, MeshService m, String where) {
    List<String> missing = new ArrayList<>();
    for (Feature f : needs(m))
      if (!has(version, f)) missing.add(f.what() + " needs Consul " + f.since() + "+");
    if (!missing.isEmpty()) {
      throw new SpecException(
          "consul.version",
          "Consul "
              + version
              + " cannot run "
              + where
              + " '"
              + m.name()
              + "' as configured: "
              + String.join("; ", missing)
              + (m.transparentProxy()
                  ? " (turn transparent proxy off, e.g. consul.hashicorp.com/transparent-proxy:"
                      + " \"false\", and list upstreams explicitly)"
                  : ""));
    }
  }

  /** The version-bound features a mesh service uses. */
  static List<Feature> needs(MeshService m) {
    List<Feature> out = new ArrayList<>();
    if (!m.connect()) return out;
    if (m.transparentProxy()) out.add(Feature.TRANSPARENT_PROXY);
    if (m.metricsPort().isPresent()) out.add(Feature.PROMETHEUS_SCRAPE_PATH);
    if (m.upstreams().stream().anyMatch(u -> u.destinationPeer() != null))
      out.add(Feature.DESTINATION_PEER);
    return out;
  }

  /** A Consul release version: major.minor.patch, an optional +ent suffix ignored. */
  public record Version(int major, int minor, int patch) implements Comparable<Version> {
    public static Version parse(String s) {
      String[] p = s.split("\\+", 2)[0].split("\\.");
      if (p.length != 3) throw new IllegalArgumentException("not a release version: " + s);
      return new Version(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]));
    }

    public boolean atLeast(Version o) {
      return compareTo(o) >= 0;
    }

    @Override
    public int compareTo(Version o) {
      int c = Integer.compare(major, o.major);
      if (c == 0) c = Integer.compare(minor, o.minor);
      return c == 0 ? Integer.compare(patch, o.patch) : c;
    }

    @Override
    public String toString() {
      return major + "." + minor + "." + patch;
    }
  }

  /** The version as an Optional, empty when it is not a release version (never thrown). */
  public static Optional<Version> tryParse(String s) {
    try {
      return Optional.of(Version.parse(s));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
