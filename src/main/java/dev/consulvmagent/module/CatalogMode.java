package dev.consulvmagent.module;

/**
 * How the catalog is built besides the spec.
 *
 * @param bake making a base image: only what every instance shares (binaries, users, units and
 *     their enablement, the agent); nothing per-instance (consul.json, secrets, app, service)
 * @param serviceConfigIsInput the spec's service was read from /srv/consul/service-config.json as
 *     written by someone else (the seed's way: cloud-init user-data): the file is input, never
 *     rewritten or removed; what sidecar-init derives from it is managed as usual
 */
public record CatalogMode(boolean bake, boolean serviceConfigIsInput) {
  public static final CatalogMode NORMAL = new CatalogMode(false, false);
}
