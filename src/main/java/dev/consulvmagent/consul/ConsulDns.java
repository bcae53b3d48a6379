package dev.consulvmagent.consul;

import dev.consulvmagent.host.DnsQuery;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Asks Consul's DNS interface directly (one UDP A query, RFC 1035 §4), so `status` can tell "Consul
 * DNS does not answer" from "the machine's resolver does not forward *.consul to it".
 */
public final class ConsulDns {
  private ConsulDns() {}

  /** A name lookup that answers an address or says why not. */
  @FunctionalInterface
  public interface Lookup {
    String resolve(String name) throws IOException;
  }

  /** Looks names up at {@code server} (e.g. 127.0.0.1:8600) with {@code timeout}. */
  public static Lookup at(InetSocketAddress server, Duration timeout) {
    return name -> DnsQuery.a(server, name, timeout);
  }

  /** The machine's own resolver (nsswitch, /etc/hosts, resolv.conf), as any program sees it. */
  public static Lookup system() {
    return name -> InetAddress.getByName(name).getHostAddress();
  }
}
