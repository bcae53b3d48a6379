package dev.consulvmagent.render;

import dev.consulvmagent.spec.AppSpec;
import java.util.List;
import java.util.Map;

/** systemd unit files, rendered deterministically. */
public final class Units {
  public static final String AGENT = "/usr/local/bin/consul-vm-agent";
  public static final String HEADER_LINE = "# Managed by consul-vm-agent";
  static final String HEADER = HEADER_LINE + "; local edits will be overwritten.\n";

  private Units() {}

  public static String consul() {
    return HEADER + """
        [Unit]
        Description=Consul agent
        Documentation=https://developer.hashicorp.com/consul/docs
        Wants=network-online.target
        After=network-online.target
        ConditionDirectoryNotEmpty=/etc/consul.d

        [Service]
        Type=notify
        User=consul
        Group=consul
        EnvironmentFile=-/etc/consul.d/consul.env
        ExecStart=/usr/bin/consul agent -config-dir=/etc/consul.d/
        KillMode=process
        KillSignal=SIGTERM
        Restart=on-failure
        RestartSec=2
        LimitNOFILE=65536

        [Install]
        WantedBy=multi-user.target
        """;
  }

  /**
   * One Envoy per mesh service. Redirection is installed by ExecStartPost only once Envoy's
   * admin /ready answers, and removed by ExecStopPost; both run as root ("+"), Envoy as envoy.
   */
  public static String envoyTemplate() {
    return HEADER + """
        [Unit]
        Description=Envoy sidecar proxy for %i
        Wants=network-online.target
        After=network-online.target consul.service
        Requires=consul.service

        [Service]
        Type=simple
        User=envoy
        Group=envoy
        EnvironmentFile=/etc/consul-vm-agent/envoy/%i.env
        ExecStartPre=+/usr/local/bin/consul-vm-agent sidecar-wait %i
        ExecStart=/usr/bin/consul connect envoy -sidecar-for=%i -admin-bind=${ENVOY_ADMIN_BIND} $CONNECT_ENVOY_FLAGS
        ExecStartPost=+/usr/local/bin/consul-vm-agent redirect-traffic --service=%i --wait-ready $REDIRECT_FLAGS
        ExecStopPost=+/usr/local/bin/consul-vm-agent cleanup-iptables --service=%i
        Restart=on-failure
        RestartSec=2
        TimeoutStartSec=180

        [Install]
        WantedBy=multi-user.target
        """;
  }

  public static String sidecarInit() {
    return HEADER + """
        [Unit]
        Description=Register the local service with Consul and start its Envoy sidecar
        ConditionPathExists=/srv/consul/service-config.json
        Wants=network-online.target consul.service
        After=network-online.target consul.service

        [Service]
        Type=oneshot
        RemainAfterExit=yes
        ExecStart=/usr/local/bin/consul-vm-agent sidecar-init

        [Install]
        WantedBy=multi-user.target
        """;
  }

  /** The application, as a DynamicUser: never the envoy uid, so its traffic is redirected. */
  public static String app(AppSpec app) {
    StringBuilder b = new StringBuilder(HEADER);
    b.append("[Unit]\nDescription=").append(app.name()).append(" (application)\n");
    b.append("Wants=network-online.target\nAfter=network-online.target\n\n");
    b.append("[Service]\nType=simple\nDynamicUser=yes\n");
    for (Map.Entry<String, String> e : app.environment().entrySet()) {
      b.append("Environment=")
          .append(SystemdSyntax.environmentAssignment(e.getKey(), e.getValue()))
          .append('\n');
    }
    b.append("ExecStart=").append(app.binaryPath());
    for (String a : app.args()) b.append(' ').append(SystemdSyntax.execArgument(a));
    b.append("\nRestart=on-failure\nRestartSec=2\n\n[Install]\nWantedBy=multi-user.target\n");
    return b.toString();
  }

  /**
   * The launcher units call. Small-VM JVM flags, and an application class-data-sharing archive
   * made by the first run and keyed to the jar's size and mtime, so a new jar never meets a
   * stale archive (CDS messages are silenced: output stays clean).
   */
  public static String launcher() {
    return """
        #!/bin/sh
        # Managed by consul-vm-agent; local edits will be overwritten.
        jar=/opt/consul-vm-agent/consul-vm-agent.jar
        cache=/var/cache/consul-vm-agent
        cds="$cache/cds-$(stat -c %s-%Y "$jar").jsa"
        if [ -r "$cds" ]; then
          share="-XX:SharedArchiveFile=$cds"
        else
          mkdir -p "$cache"
          share="-XX:ArchiveClassesAtExit=$cds.$$"
        fi
        java -XX:+UseSerialGC -Xss512k -Xmx96m -Xshare:auto -Xlog:cds=off,cds+dynamic=off "$share" \\
          -jar "$jar" "$@"
        rc=$?
        if [ -f "$cds.$$" ]; then mv -f "$cds.$$" "$cds"; fi
        exit $rc
        """;
  }

  public static String resolvedDropIn() {
    return HEADER + "[Resolve]\nDNS=127.0.0.1:8600\nDNSSEC=false\nDomains=~consul\n";
  }
}
