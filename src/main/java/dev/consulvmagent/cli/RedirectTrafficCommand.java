package dev.consulvmagent.cli;

import dev.consulvmagent.app.ConsulAccess;
import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.app.RedirectTraffic;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.spec.Validators;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * `consul connect redirect-traffic`, natively: the same chains and rules, accepting Consul's flag
 * spelling, applied as one iptables-restore transaction (tested first) so a re-run replaces our
 * chains and a failure leaves the previous rules intact.
 */
@Command(
    name = "redirect-traffic",
    mixinStandardHelpOptions = true,
    description = "Install transparent-proxy redirection (Consul-compatible chains) atomically.")
final class RedirectTrafficCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = {"-proxy-uid", "--proxy-uid"},
      paramLabel = "UID",
      description = "UID of the Envoy process (its traffic is not redirected).")
  Integer proxyUid;

  @Option(
      names = {"-proxy-id", "--proxy-id"},
      paramLabel = "ID",
      description = "Sidecar proxy service ID: ports and exclusions come from its registration.")
  String proxyId;

  @Option(
      names = {"-proxy-inbound-port", "--proxy-inbound-port"},
      defaultValue = "0",
      paramLabel = "PORT",
      description =
          "The port Envoy's inbound listener takes redirected traffic on (default: from the"
              + " -proxy-id registration, else ${DEFAULT-VALUE}).")
  int inbound;

  @Option(
      names = {"-proxy-outbound-port", "--proxy-outbound-port"},
      defaultValue = "15001",
      paramLabel = "PORT",
      description =
          "The port Envoy's outbound listener takes redirected traffic on (default"
              + " ${DEFAULT-VALUE}).")
  int outbound;

  @Option(
      names = {"-exclude-inbound-port", "--exclude-inbound-port"},
      paramLabel = "PORT",
      description = "An inbound port not redirected to Envoy (repeatable).")
  List<Integer> excludeInbound = new ArrayList<>();

  @Option(
      names = {"-exclude-outbound-port", "--exclude-outbound-port"},
      paramLabel = "PORT",
      description = "An outbound port not redirected to Envoy (repeatable).")
  List<Integer> excludeOutbound = new ArrayList<>();

  @Option(
      names = {"-exclude-outbound-cidr", "--exclude-outbound-cidr"},
      paramLabel = "CIDR",
      description = "An outbound destination range not redirected to Envoy (repeatable).")
  List<String> excludeCidr = new ArrayList<>();

  @Option(
      names = {"-exclude-uid", "--exclude-uid"},
      paramLabel = "UID",
      description = "A user whose outbound traffic is not redirected (repeatable).")
  List<Integer> excludeUid = new ArrayList<>();

  @Option(
      names = {"-consul-dns-ip", "--consul-dns-ip"},
      paramLabel = "IP",
      description =
          "Consul DNS's address: DNS sent to it bypasses Envoy (Consul's -consul-dns-ip).")
  String dnsIp;

  @Option(
      names = {"-consul-dns-port", "--consul-dns-port"},
      defaultValue = "0",
      paramLabel = "PORT",
      description = "Consul DNS's port, with -consul-dns-ip (0: Consul's default, 8600).")
  int dnsPort;

  @Option(
      names = {"-http-addr", "--http-addr"},
      paramLabel = "URL",
      description =
          "The Consul agent's HTTP API (default: $CONSUL_HTTP_ADDR, else 127.0.0.1:8500; with or"
              + " without http://, https://, or unix:///path).")
  String httpAddr;

  @Option(
      names = {"-token", "--token"},
      paramLabel = "TOKEN",
      description = "ACL token (default: $CONSUL_HTTP_TOKEN).")
  String token;

  @Option(
      names = "--service",
      paramLabel = "NAME",
      description = "Derive everything from the service config for envoy@NAME (as the unit does).")
  String service;

  @Option(
      names = "--wait-ready",
      description =
          "First wait until Envoy's admin /ready answers ($ENVOY_ADMIN_BIND, default"
              + " 127.0.0.1:19000).")
  boolean waitReady;

  @Option(
      names = "--no-default-exclusions",
      description =
          "Do not add SSH ports (inbound) and the consul uid (outbound): exactly Consul's rules.")
  boolean noDefaults;

  @Option(
      names = "--dns-redirect",
      description =
          "With --service: also redirect DNS sent to 127.0.0.1 to Consul DNS (127.0.0.1:8600).")
  boolean dnsRedirect;

  @Option(
      names = "--dry-run",
      description = "Print the exact iptables-restore ruleset and change nothing.")
  boolean dryRun;

  @Override
  public Integer call() {
    return run(spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  /**
   * The command itself, picocli or not ({@link Boot}: envoy@'s ExecStartPost, which names
   * --service; without it, Consul's flags are read through picocli, which {@link #flags} needs).
   */
  int run(PrintWriter out, PrintWriter err) {
    Optional<String> bind =
        !waitReady
            ? Optional.empty()
            : Optional.of(
                Optional.ofNullable(System.getenv("ENVOY_ADMIN_BIND"))
                    .filter(s -> !s.isBlank())
                    .orElse("127.0.0.1:19000"));
    var o =
        new RedirectTraffic.Options(
            ConsulAccess.of(Optional.ofNullable(httpAddr), Optional.ofNullable(token)),
            !noDefaults,
            dnsRedirect,
            dryRun,
            bind);
    EventSink events = Boot.sink(err, null);
    RedirectTraffic traffic = new RedirectTraffic(Hosts.live(), o, events);
    RedirectTraffic.Result r =
        service != null ? traffic.forService(service) : traffic.fromFlags(flags());
    switch (r.done()) {
      case PROXY_OFF ->
          out.println("transparent proxy is off for " + service + "; no redirection installed");
      case DRY_RUN -> out.print(r.script());
      case APPLIED -> out.println("Successfully applied traffic redirection rules");
    }
    out.flush();
    return ExitCode.OK.code();
  }

  private RedirectTraffic.Flags flags() {
    if (proxyUid == null)
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "-proxy-uid is required");
    if (proxyId == null && inbound == 0) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "either -proxy-id or -proxy-inbound-port are required");
    }
    if (proxyId != null && (inbound != 0 || outbound != 15001)) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(),
          "-proxy-inbound-port or -proxy-outbound-port cannot be provided together with -proxy-id."
              + " Proxy's inbound and outbound ports are retrieved from the proxy's configuration"
              + " instead.");
    }
    for (String c : excludeCidr) {
      // the whole value, not its part before '/': "10.0.0.0/8 -j ACCEPT" must not pass
      if (!Validators.isIpv4OrCidr(c))
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(),
            "-exclude-outbound-cidr: " + Validators.quote(c) + " is not an IPv4 CIDR");
    }
    for (int p : concat(excludeInbound, excludeOutbound)) {
      if (p < 1 || p > 65535)
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(), "port out of range: " + p);
    }
    if (dnsIp != null && !Validators.isIpv4(dnsIp))
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "-consul-dns-ip: not an IPv4 address");
    try {
      return new RedirectTraffic.Flags(
              proxyUid,
              Optional.ofNullable(proxyId),
              inbound,
              outbound,
              excludeInbound,
              excludeOutbound,
              excludeCidr,
              excludeUid,
              Optional.ofNullable(dnsIp),
              dnsPort)
          .checked();
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private static List<Integer> concat(List<Integer> a, List<Integer> b) {
    List<Integer> l = new ArrayList<>(a);
    l.addAll(b);
    return l;
  }
}
