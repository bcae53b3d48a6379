package dev.consulvmagent.engine;

/** One resource with what observing it found and the change it needs. */
public record Planned(Resource resource, Observed observed, Change change) {}
