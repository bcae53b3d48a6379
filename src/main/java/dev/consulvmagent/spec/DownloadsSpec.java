package dev.consulvmagent.spec;

import java.util.Optional;

/** Where artifacts come from and how strictly they are verified. */
public record DownloadsSpec(
    Optional<String> mirror, Optional<String> arch, boolean verifySignatures) {}
