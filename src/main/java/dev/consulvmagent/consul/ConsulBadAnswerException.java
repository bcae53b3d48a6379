package dev.consulvmagent.consul;

/**
 * An answer the call cannot use: an unexpected status, a body that is not the JSON expected, or a
 * body over the size bound. The message carries the status and at most the first 200 characters of
 * what came back, control characters escaped.
 */
public final class ConsulBadAnswerException extends ConsulException {
  private final int code;

  public ConsulBadAnswerException(String path, int code, String message) {
    super(path, path + " answered HTTP " + code + ": " + message);
    this.code = code;
  }

  public int code() {
    return code;
  }
}
