package dev.consulvmagent.app;

import dev.consulvmagent.artifact.Artifacts;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SecuritySpec;
import java.util.ArrayList;
import java.util.List;

/**
 * What plan, apply and status say about a config every time: its explicit opt-outs (an unverified
 * download, {@code security: {mode: insecure}}), never silently.
 */
final class SpecWarnings {
  private SpecWarnings() {}

  static List<String> of(AgentSpec spec) {
    List<String> w = new ArrayList<>(Artifacts.warnings(spec));
    if (!spec.security().secure()) w.add(SecuritySpec.INSECURE_WARNING);
    return w;
  }
}
