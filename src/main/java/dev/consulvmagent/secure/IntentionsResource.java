package dev.consulvmagent.secure;

import dev.consulvmagent.consul.ConsulBadAnswerException;
import dev.consulvmagent.consul.ConsulPermissionDeniedException;
import dev.consulvmagent.consul.ConsulUnavailableException;
import dev.consulvmagent.consul.IntentionApi;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.spec.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The allow intentions into one service, exactly as its config declares them ({@code intentions:
 * {allow_from: [...]}}), through the legacy API of Consul 1.8 (the default is deny: ACLs
 * default_policy deny, so no intention means no call). Ours carry Meta {@code managed-by:
 * consul-vm-agent}; this agent adds the declared ones, removes its own that are no longer declared,
 * and never touches an intention someone else made (one in the way of a declared source is
 * reported, not replaced).
 *
 * <p>Written with the service's own login token: it holds intentions:write on this destination
 * only, through the role the server made for it (see {@link ServerBootstrap} for why neither the
 * service identity nor the server writes them).
 */
final class IntentionsResource extends ClusterResource {
  static final String MANAGED_BY = "consul-vm-agent";
  private final String destination;
  private final List<String> allowFrom;
  private final Function<Secret, IntentionApi> api;

  /** api: an IntentionApi that uses the given token (the service token, read when needed). */
  IntentionsResource(
      String destination, List<String> allowFrom, Function<Secret, IntentionApi> api) {
    super("intentions/" + destination);
    this.destination = destination;
    this.allowFrom = List.copyOf(new TreeSet<>(allowFrom));
    this.api = api;
  }

  @Override
  public State desired() {
    return state(allowFrom);
  }

  private static State state(Collection<String> sources) {
    return State.of(Map.of("allow_from", sources.isEmpty() ? "(none)" : String.join(",", sources)));
  }

  private IntentionApi api(Host host) {
    Secret token =
        host.fs()
            .readIfExists(ServiceTokenResource.path(destination))
            .map(b -> new String(b, StandardCharsets.UTF_8).strip())
            .filter(s -> !s.isEmpty())
            .map(Secret::new)
            .orElseThrow(
                () ->
                    new ConsulUnavailableException(
                        ServiceTokenResource.path(destination),
                        "no service token yet (it is made earlier in this run)"));
    return api.apply(token);
  }

  private static boolean ours(IntentionApi.Intention i) {
    return MANAGED_BY.equals(i.meta().get("managed-by"));
  }

  @Override
  Optional<State> read(Host host) {
    TreeSet<String> seen = new TreeSet<>();
    for (IntentionApi.Intention i : api(host).list()) {
      if (!i.destinationName().equals(destination)) continue;
      boolean declared = allowFrom.contains(i.sourceName());
      if (ours(i) && !(declared && i.action().equals("allow")))
        seen.add(i.sourceName() + "(undeclared)");
      else if (declared && i.action().equals("allow")) seen.add(i.sourceName());
    }
    return Optional.of(state(seen));
  }

  @Override
  void write(Host host, Optional<State> current) {
    IntentionApi api = api(host);
    List<IntentionApi.Intention> into =
        api.list().stream().filter(i -> i.destinationName().equals(destination)).toList();
    for (IntentionApi.Intention i : into) {
      if (ours(i) && !(allowFrom.contains(i.sourceName()) && i.action().equals("allow")))
        api.delete(i.id(), destination);
    }
    for (String source : allowFrom) {
      Optional<IntentionApi.Intention> there =
          into.stream().filter(i -> i.sourceName().equals(source)).findFirst();
      if (there.isPresent() && (there.get().action().equals("allow") || !ours(there.get()))) {
        if (!there.get().action().equals("allow"))
          throw new IllegalStateException(
              "an intention "
                  + source
                  + " → "
                  + destination
                  + " ("
                  + there.get().action()
                  + ") that this agent did not make is in the way of allow_from; it is left"
                  + " alone: remove it (consul intention delete "
                  + source
                  + " "
                  + destination
                  + ") to let the config's allow take effect");
        continue;
      }
      try {
        api.create(
            new IntentionApi.NewIntention(
                source,
                destination,
                "allow",
                "consul-vm-agent: allow_from of " + destination,
                Map.of("managed-by", MANAGED_BY)));
      } catch (ConsulPermissionDeniedException e) {
        throw new IllegalStateException(
            "the service token of "
                + destination
                + " may not write intentions into it: list "
                + destination
                + " in the server's security.services (its apply makes the role "
                + ServerBootstrap.ROLE_PREFIX
                + destination
                + "), then remove "
                + ServiceTokenResource.path(destination)
                + " and run apply again while the intro JWT is valid (a role reaches a token at"
                + " login)");
      } catch (ConsulBadAnswerException e) {
        if (!e.getMessage().contains("duplicate intention")) throw e;
        // another run made it meanwhile: the re-observe decides
      }
    }
  }
}
