package dev.consulvmagent.spec;

/** How *.consul names reach Consul DNS (127.0.0.1:8600). */
public record DnsSpec(Mode mode) {
  public enum Mode {
    /** systemd-resolved when systemd ≥ 246, else the iptables DNS redirect. */
    AUTO,
    /** a systemd-resolved drop-in with Domains=~consul. */
    RESOLVED,
    /** the transparent-proxy DNS redirect (port mode, 127.0.0.1:53 → 127.0.0.1:8600). */
    IPTABLES,
    NONE
  }
}
