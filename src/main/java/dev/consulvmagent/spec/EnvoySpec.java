package dev.consulvmagent.spec;

import java.util.Optional;

/** Envoy: the version installed as /usr/bin/envoy, an optional pinned digest, the admin port. */
public record EnvoySpec(
    String version, Optional<String> sha256, int adminPort, boolean ignoreCompatibility) {}
