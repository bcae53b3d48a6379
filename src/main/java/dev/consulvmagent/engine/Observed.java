package dev.consulvmagent.engine;

/** What observing the host found: nothing, a state, or nothing that can be known yet. */
public sealed interface Observed {
  record Absent() implements Observed {}

  record Present(State state) implements Observed {}

  /** Chef's why-run assumption, e.g. "consul agent is started earlier in this run". */
  record Unknown(String reason) implements Observed {}

  static Observed absent() {
    return new Absent();
  }

  static Observed present(State s) {
    return new Present(s);
  }
}
