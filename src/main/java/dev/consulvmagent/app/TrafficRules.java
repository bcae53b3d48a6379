package dev.consulvmagent.app;

import dev.consulvmagent.host.Host;
import dev.consulvmagent.iptables.DnsRedirect;
import dev.consulvmagent.iptables.Iptables;
import dev.consulvmagent.iptables.RestoreScript;

/**
 * The nat-table commands of cleanup-iptables and dns-redirect on the running system: each returns
 * what the command prints (a dry run's script) or whether anything was there to remove.
 */
public final class TrafficRules {
  private final Iptables ipt;

  /** host: the running system whose nat table is changed (the CLI builds it: Hosts.live). */
  public TrafficRules(Host host) {
    this.ipt = new Iptables(host);
  }

  /** The iptables-restore script that would remove our jumps and CONSUL_* chains. */
  public String cleanupScript() {
    return RestoreScript.cleanup(ipt.saveNat());
  }

  /** Removes our jumps and CONSUL_* chains; false when there were none. */
  public boolean cleanup() {
    return !ipt.cleanup().isEmpty();
  }

  /** The iptables-restore script that would install (or, with remove, remove) the redirect. */
  public String dnsRedirectScript(boolean remove) {
    return remove ? DnsRedirect.cleanup(ipt.saveNat()) : DnsRedirect.apply(ipt.saveNat());
  }

  /** Installs the DNS redirect atomically. */
  public void installDnsRedirect() {
    DnsRedirect.install(ipt);
  }

  /** Removes only our DNS chain and its jumps; false when there was none. */
  public boolean removeDnsRedirect() {
    return !DnsRedirect.remove(ipt).isEmpty();
  }
}
