package dev.consulvmagent.iptables;

import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.host.Host;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** iptables over the host's exec: read the nat table, test and apply restore scripts. */
public final class Iptables {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private final Host host;

  public Iptables(Host host) {
    this.host = host;
  }

  public String saveNat() {
    ExecResult r = host.run(List.of("iptables-save", "-t", "nat"), TIMEOUT);
    if (!r.ok()) {
      // a kernel without the nat table loaded yet has nothing of ours in it
      if (r.stderr().contains("Table does not exist")) return "";
      r.check();
    }
    return r.stdout();
  }

  /** Validates with --test, then applies; a failure leaves the previous rules intact. */
  public void restore(String script) {
    if (script.isEmpty()) return;
    byte[] in = script.getBytes(StandardCharsets.UTF_8);
    host.run(List.of("iptables-restore", "--test", "--noflush", "--wait"), TIMEOUT, in).check();
    host.run(List.of("iptables-restore", "--noflush", "--wait"), TIMEOUT, in).check();
  }

  /** Applies the redirect rules; returns the script that was applied. */
  public String apply(RedirectConfig c) {
    String script = RestoreScript.apply(c, saveNat());
    restore(script);
    return script;
  }

  /** Removes only our chains and jumps; returns the script (empty when nothing was there). */
  public String cleanup() {
    String script = RestoreScript.cleanup(saveNat());
    restore(script);
    return script;
  }
}
