package dev.consulvmagent.secure;

import dev.consulvmagent.spec.Secret;
import java.util.List;
import java.util.Optional;

/**
 * What a client's runtime side needs (board: "Secure-mesh contract"): its node name, the service it
 * runs, the intro JWT (security.intro_token; the same JWT auto_config used) and the services its
 * config allows to call it ({@code intentions: {allow_from: [...]}}).
 */
public record ClientSecurity(
    String node, String service, Optional<Secret> introToken, List<String> allowFrom) {
  public ClientSecurity {
    allowFrom = List.copyOf(allowFrom);
  }
}
