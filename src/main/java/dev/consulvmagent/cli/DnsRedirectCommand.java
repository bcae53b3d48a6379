package dev.consulvmagent.cli;

import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.app.TrafficRules;
import dev.consulvmagent.iptables.DnsRedirect;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** consul-dns-redirect.service's command: DNS to 127.0.0.1:53 goes to Consul DNS (8600). */
@Command(
    name = "dns-redirect",
    mixinStandardHelpOptions = true,
    description =
        "Redirect DNS sent to 127.0.0.1:53 to Consul DNS at 127.0.0.1:8600 (dns.mode iptables),"
            + " atomically.")
final class DnsRedirectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--remove", description = "Remove the redirect (only our chain and its jumps).")
  boolean remove;

  @Option(
      names = "--dry-run",
      description = "Print the iptables-restore script and change nothing.")
  boolean dryRun;

  @Override
  public Integer call() {
    return run(spec.commandLine().getOut());
  }

  /** The command itself, picocli or not ({@link Boot}: consul-dns-redirect at every boot). */
  int run(PrintWriter out) {
    TrafficRules rules = new TrafficRules(Hosts.live());
    if (dryRun) {
      out.print(rules.dnsRedirectScript(remove));
    } else if (remove) {
      out.println(
          rules.removeDnsRedirect() ? "Removed the DNS redirect" : "No DNS redirect to remove");
    } else {
      rules.installDnsRedirect();
      out.println(
          "DNS to 127.0.0.1:53 now goes to Consul DNS at 127.0.0.1:" + DnsRedirect.CONSUL_DNS_PORT);
    }
    out.flush();
    return ExitCode.OK.code();
  }
}
