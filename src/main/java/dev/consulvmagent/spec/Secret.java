package dev.consulvmagent.spec;

/** A value that must never be printed: toString() is redacted. */
public record Secret(String value) {
  @Override
  public String toString() {
    return "(sensitive)";
  }
}
