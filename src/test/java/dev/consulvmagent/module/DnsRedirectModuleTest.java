package dev.consulvmagent.module;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dns.mode iptables installs its own redirect unit, with or without transparent proxy. */
class DnsRedirectModuleTest {
  @TempDir Path root;

  private static final String V18_DIRECT =
      "consul:\n"
          + "  version: \"1.8.7\"\n"
          + "  role: client\n"
          + "  retry_join: [192.0.2.10]\n"
          + "envoy:\n"
          + "  version: \"1.14.5\"\n"
          + "service:\n"
          + "  name: web\n"
          + "  port: 9090\n"
          + "  transparent_proxy: false\n";

  @Test
  void iptablesMode_withoutTransparentProxy_installsTheDnsRedirectUnit() {
    Map<String, String> f =
        VersionAwareModulesTest.files(V18_DIRECT + "dns:\n  mode: iptables\n", root);
    assertThat(f.get("/etc/systemd/system/consul-dns-redirect.service"))
        .contains("ExecStart=/usr/local/bin/consul-vm-agent dns-redirect\n")
        .contains("ExecStop=/usr/local/bin/consul-vm-agent dns-redirect --remove\n");
  }

  @Test
  void iptablesMode_onAMachineWithoutAService_stillInstallsIt() {
    Map<String, String> f =
        VersionAwareModulesTest.files("consul:\n  role: server\ndns:\n  mode: iptables\n", root);
    assertThat(f).containsKey("/etc/systemd/system/consul-dns-redirect.service");
  }

  @Test
  void resolvedOrNone_installNoRedirect() {
    for (String mode : new String[] {"resolved", "none"}) {
      Map<String, String> f =
          VersionAwareModulesTest.files(V18_DIRECT + "dns:\n  mode: " + mode + "\n", root);
      assertThat(f).doesNotContainKey("/etc/systemd/system/consul-dns-redirect.service");
    }
  }
}
