package dev.consulvmagent.consul;

/**
 * A Consul HTTP call that did not give the answer asked for. The subclasses say why, so a caller
 * can tell an agent that is down (retry later) from a token that lacks a permission (tell the
 * operator which) from a key that is not there (often a normal answer) from an answer we cannot
 * read (a bug or a hostile endpoint).
 */
public abstract class ConsulException extends RuntimeException {
  private final String path;

  ConsulException(String path, String message) {
    super(message);
    this.path = path;
  }

  /** The API path of the call, without its query (tokens never travel in the query). */
  public String path() {
    return path;
  }
}
