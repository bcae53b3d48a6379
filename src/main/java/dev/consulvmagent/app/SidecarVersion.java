package dev.consulvmagent.app;

import dev.consulvmagent.consul.AgentApi;
import dev.consulvmagent.consul.AgentWait;
import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulException;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.InvalidEndpointException;
import dev.consulvmagent.consul.SidecarWait;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.sidecar.Installed;
import dev.consulvmagent.sidecar.SidecarFiles;
import dev.consulvmagent.spec.ConsulVersions;
import dev.consulvmagent.spec.SpecLoader;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The Consul version sidecar-init renders the registration and the Envoy flags for, and where it
 * came from: the running agent's, else the one apply rendered for (the Envoy env file's {@link
 * SidecarFiles#CONSUL_VERSION_KEY}), else on this machine what the installed {@code consul} program
 * says it is, else {@link SpecLoader#DEFAULT_CONSUL_VERSION}. At boot without a prior apply only
 * the agent knows it, and rendering for another version writes keys an older agent rejects (Consul
 * 1.8.7 refuses every key it does not know).
 */
public record SidecarVersion(String version, String source) {
  /**
   * Asks the agent at the endpoint ({@code GET /v1/agent/self}, {@code Config.Version}:
   * hashicorp/consul agent/agent_endpoint.go AgentSelf, ACL agent:read, so with the endpoint's
   * token, else the default token of /etc/consul.d/secrets.json; the real 1.8.7 answers {@code
   * "Version": "1.8.7"}, see SidecarInitRealTest). at empty: not asked (a --root that is not this
   * machine). wait: how long to wait for its HTTP API first (consul.service just started, at boot),
   * zero for one try.
   */
  public static SidecarVersion resolve(
      Optional<ConsulEndpoint> at, Duration wait, EventSink events, Host host, String service) {
    String why = "no agent was asked (--root is not this machine)";
    if (at.isPresent()) {
      ConsulEndpoint e = at.get();
      AgentApi api = new AgentApi(new ConsulHttp(e, Duration.ofSeconds(2)));
      try {
        if (!wait.isZero())
          new AgentWait(api, e.display(), events, Duration.ofMillis(250)).httpApi(wait);
        String v = api.self().version();
        if (ConsulVersions.tryParse(v).isPresent()) {
          return new SidecarVersion(
              v, "the running agent's, GET " + e.display() + "/v1/agent/self");
        }
        why = "the agent at " + e.display() + " answered no release version (\"" + v + "\")";
      } catch (ConsulException | SidecarWait.TimeoutException | InvalidEndpointException x) {
        why = "the agent did not answer: " + x.getMessage();
      }
    }
    String env = SidecarFiles.envFile(service);
    Optional<String> applied =
        Installed.read(host.fs(), service)
            .consulVersion()
            .filter(v -> ConsulVersions.tryParse(v).isPresent());
    if (applied.isPresent()) {
      return new SidecarVersion(
          applied.get(), "the one apply rendered for, in " + env + "; " + why);
    }
    if (at.isPresent() && host.live()) {
      // the program consul.service runs (render/Units: ExecStart=/usr/bin/consul agent …), when
      // the agent refuses /v1/agent/self to the token at hand (a secure client's DNS default
      // token has no agent:read) before any apply wrote its env file
      Optional<String> installed = installedVersion(host);
      if (installed.isPresent()) {
        return new SidecarVersion(
            installed.get(),
            "the installed program's, "
                + CONSUL
                + " version; "
                + why
                + ", and "
                + env
                + " names none");
      }
    }
    return new SidecarVersion(
        SpecLoader.DEFAULT_CONSUL_VERSION, "the default: " + why + ", and " + env + " names none");
  }

  static final String CONSUL = "/usr/bin/consul";

  /**
   * What {@code consul version} says it is: its first line is "Consul v" and the version (recorded
   * from the real 1.8.7, Debian's package: "Consul v1.8.7", then "Protocol 2 spoken by default, …";
   * hashicorp/consul command/version/formatter.go's pretty format, the default, writes {@code
   * "Consul v%s\n"} with the human version first). Empty when it is not there, fails, or says
   * something else.
   */
  static Optional<String> installedVersion(Host host) {
    ExecResult r;
    try {
      r = host.run(List.of(CONSUL, "version"), Duration.ofSeconds(10));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    if (!r.ok()) return Optional.empty();
    String first = r.stdout().lines().findFirst().orElse("");
    if (!first.startsWith("Consul v")) return Optional.empty();
    String v = first.substring("Consul v".length()).split("\\s", 2)[0];
    return ConsulVersions.tryParse(v).isPresent() ? Optional.of(v) : Optional.empty();
  }

  /**
   * An agent address as Consul's CLI takes $CONSUL_HTTP_ADDR: "host:port" means http
   * (hashicorp/consul api/api.go: Scheme defaults to "http", NewClient splits an optional "http://"
   * or "https://" off the address; unix:// is not supported here).
   */
  public static String url(String addr) {
    return addr.contains("://") ? addr : "http://" + addr;
  }

  /** The progress line saying which version is used and why. */
  public String describe() {
    return "rendering for Consul " + version + " (" + source + ")";
  }
}
