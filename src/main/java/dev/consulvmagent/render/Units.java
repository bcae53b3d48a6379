package dev.consulvmagent.render;

import dev.consulvmagent.spec.AppSpec;
import java.util.Map;

/** systemd unit files, rendered deterministically. */
public final class Units {
  public static final String AGENT = "/usr/local/bin/consul-vm-agent";
  public static final String HEADER_LINE = "# Managed by consul-vm-agent";
  static final String HEADER = HEADER_LINE + "; local edits will be overwritten.\n";

  private Units() {}

  /**
   * consul.service is Type=exec, not the package's Type=notify: Consul sends READY=1 only after a
   * successful LAN join (hashicorp/consul PR #3164; issues #18097, #7137, #4380), so a lone server
   * never sends it (measured with the real 1.8.7: leader after ~6 s, no READY in 22 s), and a
   * client whose servers are not up yet would not either; with notify, systemd times the start out
   * and restarts Consul in a loop. Type=exec (systemd.service(5), systemd ≥ 240): the unit is
   * started once the binary has been executed, and a start fails if it cannot be. Whoever needs
   * more waits for it: apply for the HTTP API before a reload (app/ConsulReadyNotifier), Envoy's
   * sidecar-wait for a leader and the registration. The same for servers and clients: neither may
   * wait for a join that depends on other machines.
   */
  public static String consul() {
    return HEADER
        + """
        [Unit]
        Description=Consul agent
        Documentation=https://developer.hashicorp.com/consul/docs
        Wants=network-online.target
        After=network-online.target
        ConditionDirectoryNotEmpty=/etc/consul.d

        [Service]
        # not notify: Consul sends READY only after a LAN join, which a lone server never makes
        Type=exec
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
   * One Envoy per mesh service. Redirection is installed by ExecStartPost only once Envoy's admin
   * /ready answers, and removed by ExecStopPost; both run as root ("+"), Envoy as envoy.
   */
  public static String envoyTemplate() {
    return envoyTemplate(false);
  }

  /**
   * ignoreEnvoyCompatibility: pass {@code -ignore-envoy-compatibility} to {@code consul connect
   * envoy} (Consul 1.15+, hashicorp/consul PR #15818: from 1.15 Consul itself refuses an Envoy
   * outside its supported range unless told so). Before the pass-through {@code --} that
   * $CONNECT_ENVOY_FLAGS may contain.
   */
  public static String envoyTemplate(boolean ignoreEnvoyCompatibility) {
    String ignore = ignoreEnvoyCompatibility ? " -ignore-envoy-compatibility" : "";
    return HEADER
        + """
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
        ExecStart=/usr/bin/consul connect envoy -sidecar-for=%i -admin-bind=${ENVOY_ADMIN_BIND}@IGNORE@ $CONNECT_ENVOY_FLAGS
        ExecStartPost=+/usr/local/bin/consul-vm-agent redirect-traffic --service=%i --wait-ready $REDIRECT_FLAGS
        ExecStopPost=+/usr/local/bin/consul-vm-agent cleanup-iptables --service=%i
        Restart=on-failure
        RestartSec=2
        TimeoutStartSec=180

        [Install]
        WantedBy=multi-user.target
        """
            .replace("@IGNORE@", ignore);
  }

  public static String sidecarInit() {
    return HEADER
        + """
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

  /**
   * Where {@link #envoyBeforeSidecarInit} goes: a drop-in of the envoy@ template, baked into the
   * image (module/ImageModule), so it holds for every instance from the first boot on.
   */
  public static final String ENVOY_BEFORE_SIDECAR_INIT =
      "/etc/systemd/system/envoy@.service.d/before-sidecar-init.conf";

  /**
   * The drop-in the instance apply wrote before (consul-sidecar-init.service.d/after-envoy.conf,
   * naming the instance's envoy@ unit): removed where it is found.
   */
  public static final String OLD_SIDECAR_INIT_AFTER_ENVOY =
      "/etc/systemd/system/consul-sidecar-init.service.d/after-envoy.conf";

  /**
   * On a machine booted from a baked image, consul-sidecar-init.service runs once Envoy has
   * started: the instance apply has already written what sidecar-init derives from the seed's
   * service config and queued envoy@'s start itself (app/InstanceReady, before Consul starts), so
   * at boot sidecar-init only confirms it, and its JVM (2.1-3.5 s of wall time on a client,
   * journals of two image boots) would otherwise run alongside envoy@'s sidecar-wait and
   * redirect-traffic, the critical path, for the same two CPUs. Ordered after envoy@, it still runs
   * in full (reads the service config, asks the running agent its version, finds nothing to change,
   * starts envoy@: a no-op) but after the sidecar is up. Static, in the image: a drop-in the
   * instance apply wrote would take effect only after its daemon-reload, by when sidecar-init
   * (ordered after Consul, which starts on the instance apply's ready signal) may already run. An
   * ordering only (systemd.unit(5), Before=/After=: when both units are being started, the later
   * one's start is delayed until the other has finished starting, successfully or not), never a
   * requirement: if envoy@ fails, sidecar-init still runs and starts it again; with no envoy@ start
   * queued it does not wait. A Type=simple service has finished starting once its ExecStartPost=
   * commands are done (systemd.service(5)): here, after redirect-traffic.
   */
  public static String envoyBeforeSidecarInit() {
    return HEADER + "[Unit]\nBefore=consul-sidecar-init.service\n";
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
   * The launcher units call. Small-VM JVM flags, and an application class-data-sharing archive made
   * by the first run and keyed to the jar's size and mtime, so a new jar never meets a stale
   * archive (CDS messages are silenced: output stays clean). Every command but apply runs with C1
   * only (-XX:TieredStopAtLevel=1): they hash nothing large, and C2's compile threads cost them ~25
   * % more CPU (measured, BENCHMARKS.md) on the boot path (sidecar-init, sidecar-wait,
   * redirect-traffic); apply keeps C2, which a cold install's SHA-256 intrinsics need, unless its
   * unit sets CONSUL_VM_AGENT_C1=1: the baked image's instance unit, whose apply downloads an app
   * at most (measured on this machine, CPU of that apply with the archive: C2 0.65-0.79 s, C1
   * 0.40-0.50 s; SHA-256 of 10 MiB: C1 140 ms, C2 570 ms; of 100 MiB: C1 2.1 s, C2 0.8 s). Its C2
   * is only for what is really hot: thresholds ten times the default leave the no-op apply's
   * start-up code to C1 (its CPU time fell ~15 %) while the hashing loops of a download, called
   * millions of times, still reach C2 within the first megabytes.
   */
  public static String launcher() {
    return launcher("/opt/consul-vm-agent/consul-vm-agent.jar");
  }

  /**
   * The same launcher for a jar elsewhere (a constant path: it is not quoted).
   *
   * <p>A bake ({@code apply --bake} on the image itself, no --root) makes the image's archive from
   * every command its boot runs, not from the bake's own apply only: a dynamic archive
   * (-XX:ArchiveClassesAtExit, JEP 350) holds the classes of the one run that made it, so on an
   * image baked that way sidecar-init, sidecar-wait and redirect-traffic loaded their HTTP stack
   * and iptables code from the 27 MB jar and verified it at every boot. Instead the bake's apply
   * and harmless training runs of those commands (dry runs, and waits that give up at once against
   * a closed port) each write their class list (-XX:DumpLoadedClassList), the agent's and its HTTP
   * client's classes are added ({@code CdsClassList}), and one static archive is dumped from the
   * union (-Xshare:dump -XX:SharedClassListFile -XX:SharedArchiveFile: "Application Class Data
   * Sharing", JEP 310, and the java(1) manual of JDK 17, which asks for the same heap size at dump
   * and run time). The class lists' {@code id:} fields number one run's classes and are dropped in
   * the union. Measured on this machine: sidecar-wait's CPU 0.43 s with the JDK's archive only,
   * 0.27 s with a dynamic archive of its own run, 0.22 s with the union's static archive. If the
   * dump fails, there is no archive and the first run at boot makes one as before.
   */
  public static String launcher(String jar) {
    return """
    #!/bin/sh
    # Managed by consul-vm-agent; local edits will be overwritten.
    jar=@JAR@
    cache=/var/cache/consul-vm-agent
    key=$(stat -c %s-%Y "$jar")
    cds="$cache/cds-$key.jsa"
    jvm="-XX:+UseSerialGC -Xss512k -Xmx96m -Xshare:auto -Xlog:cds=off,cds+dynamic=off"
    # a bake on the image itself (not --root): the archive comes from every command the boot runs
    bake=
    if [ "${1:-}" = apply ]; then
      for a in "$@"; do
        case $a in --bake) bake=1 ;; --root | --root=*) bake= ; break ;; esac
      done
    fi
    lists="$cache/cds-$key.lists.$$"
    if [ -n "$bake" ]; then
      mkdir -p "$lists"
      share="-XX:DumpLoadedClassList=$lists/0-apply.lst"
    elif [ -r "$cds" ]; then
      share="-XX:SharedArchiveFile=$cds"
    else
      mkdir -p "$cache"
      share="-XX:ArchiveClassesAtExit=$cds.$$"
    fi
    # -cp and the Main-Class, not -jar: -jar indexes the jar (~15,000 entries) for its manifest
    # first; a run whose classes all come from the archive then never opens it
    if [ "${1:-}" = apply ] && [ "${CONSUL_VM_AGENT_C1:-}" != 1 ]; then
      set -- -XX:Tier4InvocationThreshold=50000 -XX:Tier4MinInvocationThreshold=6000 \\
        -XX:Tier4CompileThreshold=60000 -XX:Tier4BackEdgeThreshold=400000 \\
        -cp "$jar" dev.consulvmagent.cli.Boot "$@"
    else
      set -- -XX:TieredStopAtLevel=1 -cp "$jar" dev.consulvmagent.cli.Boot "$@"
    fi
    java $jvm "$share" "$@"
    rc=$?
    if [ -f "$cds.$$" ]; then mv -f "$cds.$$" "$cds"; fi
    if [ -n "$bake" ] && [ "$rc" = 0 ]; then
      train() {
        n=$((n + 1))
        java $jvm -XX:TieredStopAtLevel=1 -XX:DumpLoadedClassList="$lists/$n.lst" \\
          -cp "$jar" dev.consulvmagent.cli.Boot "$@" >/dev/null 2>&1
      }
      n=0
      svc="$lists/service-config.json"
      echo '{"annotations":{"consul.hashicorp.com/connect-service":"cds-training","consul.hashicorp.com/connect-service-port":"1"}}' >"$svc"
      train sidecar-wait cds-training --timeout 0 --http-addr 127.0.0.1:1
      train sidecar-init --dry --type service-registration -f "$svc" --http-addr 127.0.0.1:1
      train redirect-traffic --proxy-id=cds-training-sidecar-proxy --proxy-uid=0 --dry-run \\
        --http-addr 127.0.0.1:1
      train dns-redirect --dry-run
      train cleanup-iptables --service=cds-training --dry-run
      java $jvm -cp "$jar" dev.consulvmagent.cli.CdsClassList "$jar" >"$lists/9-jar.lst" 2>/dev/null
      sed -e '/^#/d' -e 's/ id: [0-9]*$//' "$lists"/*.lst | awk '!seen[$0]++' >"$lists/all"
      if java -Xshare:dump -XX:+UseSerialGC -Xmx96m -Xlog:cds=off -XX:SharedClassListFile="$lists/all" \\
        -XX:SharedArchiveFile="$cds.$$" -cp "$jar" >/dev/null 2>&1; then
        mv -f "$cds.$$" "$cds"
      else
        rm -f "$cds.$$" "$cds"
      fi
    fi
    if [ -n "$bake" ]; then rm -rf "$lists"; fi
    exit $rc
    """
        .replace("@JAR@", jar);
  }

  /**
   * dns.mode iptables: DNS to 127.0.0.1:53 goes to Consul DNS (iptables/DnsRedirect), whether or
   * not the service uses transparent proxy (Consul 1.8 has none). A oneshot that stays active;
   * stopping it (or removing it: Leftovers stops our units) removes the rules.
   */
  public static String dnsRedirect() {
    return HEADER
        + """
        [Unit]
        Description=Send DNS for 127.0.0.1:53 to Consul DNS (127.0.0.1:8600)
        After=network-pre.target
        Before=consul.service

        [Service]
        Type=oneshot
        RemainAfterExit=yes
        ExecStart=/usr/local/bin/consul-vm-agent dns-redirect
        ExecStop=/usr/local/bin/consul-vm-agent dns-redirect --remove

        [Install]
        WantedBy=multi-user.target
        """;
  }

  /** A baked image's first-boot unit (module/ImageModule). */
  public static final String INSTANCE_UNIT = "consul-vm-agent-instance.service";

  /**
   * Applies the instance's own settings on a machine booted from a baked image (apply --bake):
   * after cloud-init's init stage has written /etc/consul-vm-agent/agent.yaml (write_files runs in
   * cloud-init.service, which is Before=network-online.target) and before consul.service and
   * consul-sidecar-init.service, so Consul starts once with this machine's config and the sidecar
   * is set up from it. apply starts nothing it must wait for here: consul.service is already
   * enabled in the image (its start job waits for this unit), and the sidecar's starts are
   * --no-block (systemd/SystemdNotifier). Not ordered after cloud-final, so it never deadlocks
   * boot. Type=notify: apply says it is ready as soon as everything Consul reads is written
   * (app/InstanceReady), so Consul starts while apply converges the rest, and the secure mesh's
   * cluster step, which needs Consul's API, finds it; NotifyAccess=all because the signal comes
   * from systemd-notify, which apply runs. RemainAfterExit: active once apply has exited, as the
   * oneshot was (a failure after the signal still fails the unit).
   */
  public static String instance() {
    return HEADER
        + """
        [Unit]
        Description=Apply this instance's consul-vm-agent settings (baked image, first boot)
        Documentation=man:consul-vm-agent(1)
        ConditionPathExists=/etc/consul-vm-agent/agent.yaml
        Wants=network-online.target
        After=network-online.target cloud-init.service
        Before=consul.service consul-sidecar-init.service

        [Service]
        # ready (systemd-notify, app/InstanceReady) once Consul's config is written: Consul starts
        # while the rest converges
        Type=notify
        NotifyAccess=all
        RemainAfterExit=yes
        # Consul and Envoy are baked: this apply downloads an app at most, C1 only (launcher())
        Environment=CONSUL_VM_AGENT_C1=1
        ExecStart=/usr/local/bin/consul-vm-agent apply
        TimeoutStartSec=30min

        [Install]
        WantedBy=multi-user.target
        """;
  }

  /**
   * fleet: the rollout watcher (issue 22). Restart=always with a pause: a crash or kill -9 resumes
   * from the revision it reports (its local state and Consul's KV), never half-applied. It talks
   * only to the local agent; it needs consul.service up, and waits for it itself (back-off).
   */
  public static String fleetWatch() {
    return HEADER
        + """
        [Unit]
        Description=consul-vm-agent fleet watcher: rolls this VM to its group's revision
        After=consul.service network-online.target
        Wants=network-online.target

        [Service]
        Type=exec
        ExecStart=/usr/local/bin/consul-vm-agent watch
        Restart=always
        RestartSec=5s
        KillMode=mixed
        TimeoutStopSec=60s

        [Install]
        WantedBy=multi-user.target
        """;
  }

  public static String resolvedDropIn() {
    return HEADER + "[Resolve]\nDNS=127.0.0.1:8600\nDNSSEC=false\nDomains=~consul\n";
  }
}
