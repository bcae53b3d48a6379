package dev.consulvmagent.host;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A managed path runs through a symbolic link (or is one where a link is not expected): the agent
 * refuses rather than write, chown or delete through it, which could land outside the root or on a
 * file someone else chose. The message names the link and what to do.
 */
public final class UnsafePathException extends UncheckedIOException {
  public UnsafePathException(String message) {
    super(message, new IOException(message));
  }
}
