package dev.consulvmagent.consul;

/**
 * A 2xx answer: status, body (bounded), and the headers blocking queries and reads depend on:
 * {@code X-Consul-Index} (0 when absent or unparseable) and {@code X-Consul-KnownLeader}.
 */
public record ConsulResponse(int code, String body, long index, boolean knownLeader) {}
