package io.fairlane.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.config.UpstreamModelConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The two-tier kustomize manifests under docker/k8s/two-tier, checked without a cluster or the kustomize binary
 * (neither is available to CI here): every resource has the fields the API server requires of its kind, the
 * references between resources resolve (selectors to pod labels, Services' target ports to container ports, the
 * StatefulSet to its headless Service, the HPA and PDBs to their workloads, Secrets and ConfigMaps to volumes and
 * env), and each overlay's patches are applied the way kustomize's strategic merge does (maps merged, containers
 * merged by name) before the router's embedded fairlane.yaml is loaded by the real {@link ConfigLoader}.
 */
class TwoTierManifestsTest {

    private static final Path BASE = ProjectFiles.docker().resolve("k8s/two-tier");
    private static final Set<String> KINDS = Set.of("v1/Namespace", "v1/ConfigMap", "v1/Secret", "v1/Service",
            "apps/v1/Deployment", "apps/v1/StatefulSet", "policy/v1/PodDisruptionBudget",
            "autoscaling/v2/HorizontalPodAutoscaler");

    /** The resources a kustomization renders, its patches applied (namespace and labels aside). */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> render(Path dir) throws IOException {
        Map<String, Object> k = Yaml.map(dir.resolve("kustomization.yaml"));
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object r : Yaml.listAt(k, "resources")) {
            Path p = dir.resolve((String) r).normalize();
            if (p.toString().endsWith(".yaml")) {
                for (Object doc : Yaml.documents(p)) {
                    out.add((Map<String, Object>) doc);
                }
            } else {
                out.addAll(render(p));
            }
        }
        Object patches = k.get("patches");
        if (patches != null) {
            for (Object patch : (List<Object>) patches) {
                Map<String, Object> p = Yaml.map(dir.resolve((String) ((Map<String, Object>) patch).get("path")));
                Map<String, Object> target = out.stream().filter(o -> same(o, p)).findFirst().orElseThrow(
                        () -> new AssertionError(dir + ": patch " + patch + " matches no resource"));
                merge(target, p);
            }
        }
        return out;
    }

    private static boolean same(Map<String, Object> a, Map<String, Object> b) {
        return Objects.equals(a.get("kind"), b.get("kind"))
                && Objects.equals(Yaml.at(a, "metadata", "name"), Yaml.at(b, "metadata", "name"));
    }

    /** Strategic merge, as far as these manifests need it: maps merge, lists of named items merge by name. */
    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> into, Map<String, Object> patch) {
        patch.forEach((key, value) -> {
            Object old = into.get(key);
            if (old instanceof Map<?, ?> m && value instanceof Map<?, ?> v) {
                merge((Map<String, Object>) m, (Map<String, Object>) v);
            } else if (old instanceof List<?> l && value instanceof List<?> v && !v.isEmpty()
                    && v.getFirst() instanceof Map<?, ?> first && first.containsKey("name")) {
                List<Object> merged = new ArrayList<>(l);
                for (Object item : v) {
                    Object name = ((Map<String, Object>) item).get("name");
                    Map<String, Object> match = (Map<String, Object>) merged.stream()
                            .filter(o -> Objects.equals(((Map<String, Object>) o).get("name"), name))
                            .findFirst().orElse(null);
                    if (match == null) {
                        merged.add(item);
                    } else {
                        merge(match, (Map<String, Object>) item);
                    }
                }
                into.put(key, merged);
            } else {
                into.put(key, value);
            }
        });
    }

    private static Map<String, Object> find(List<Map<String, Object>> all, String kind, String name) {
        return all.stream().filter(o -> kind.equals(o.get("kind")) && name.equals(Yaml.at(o, "metadata", "name")))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> podLabels(Map<String, Object> workload) {
        return (Map<String, Object>) Yaml.at(workload, "spec", "template", "metadata", "labels");
    }

    private static List<Map<String, Object>> workloads(List<Map<String, Object>> all) {
        return all.stream().filter(o -> Set.of("Deployment", "StatefulSet").contains(o.get("kind"))).toList();
    }

    private static boolean selects(Object selector, Map<String, Object> labels) {
        return selector instanceof Map<?, ?> s && !s.isEmpty() && labels.entrySet().containsAll(s.entrySet());
    }

    @Test
    void everyResource_hasAKnownKindANameAndItsRequiredFields() throws IOException {
        for (Path dir : List.of(BASE, BASE.resolve("redis"), BASE.resolve("postgres"))) {
            for (Map<String, Object> o : render(dir)) {
                assertThat(KINDS).as(dir + ": " + o.get("kind")).contains(o.get("apiVersion") + "/" + o.get("kind"));
                assertThat(Yaml.at(o, "metadata", "name")).as(dir + ": metadata.name").isInstanceOf(String.class);
                if (Set.of("Deployment", "StatefulSet").contains(o.get("kind"))) {
                    assertThat(selects(Yaml.at(o, "spec", "selector", "matchLabels"), podLabels(o)))
                            .as(o.get("kind") + " selector matches its pod labels").isTrue();
                    for (Object c : Yaml.listAt(o, "spec", "template", "spec", "containers")) {
                        assertThat(Yaml.at(c, "name")).isNotNull();
                        assertThat(Yaml.at(c, "image")).isNotNull();
                    }
                }
            }
        }
    }

    @Test
    void references_resolve_servicesPdbsHpaAndVolumes() throws IOException {
        List<Map<String, Object>> all = render(BASE);
        for (Map<String, Object> o : all) {
            String kind = (String) o.get("kind");
            if (kind.equals("Service") || kind.equals("PodDisruptionBudget")) {
                Object selector = kind.equals("Service") ? Yaml.at(o, "spec", "selector")
                        : Yaml.at(o, "spec", "selector", "matchLabels");
                List<Map<String, Object>> selected = workloads(all).stream()
                        .filter(w -> selects(selector, podLabels(w))).toList();
                assertThat(selected).as(kind + " " + Yaml.at(o, "metadata", "name") + " selects a workload")
                        .hasSize(1);
                if (kind.equals("Service")) {
                    Object target = Yaml.at(o, "spec", "ports", 0, "targetPort");
                    assertThat(Yaml.listAt(selected.getFirst(), "spec", "template", "spec", "containers", 0, "ports"))
                            .anyMatch(p -> target.equals(Yaml.at(p, "name")));
                }
            }
            for (Map<String, Object> w : workloads(List.of(o))) {
                for (Object v : Yaml.listAt(w, "spec", "template", "spec", "volumes")) {
                    if (v instanceof Map<?, ?> volume && volume.get("configMap") instanceof Map<?, ?> cm) {
                        find(all, "ConfigMap", (String) cm.get("name"));
                    }
                }
                for (Object env : Yaml.listAt(w, "spec", "template", "spec", "containers", 0, "envFrom")) {
                    find(all, "Secret", (String) Yaml.at(env, "secretRef", "name"));
                }
            }
        }
        Map<String, Object> hpa = find(all, "HorizontalPodAutoscaler", "fairlane-router");
        find(all, (String) Yaml.at(hpa, "spec", "scaleTargetRef", "kind"),
                (String) Yaml.at(hpa, "spec", "scaleTargetRef", "name"));
        assertThat(Yaml.at(hpa, "spec", "metrics", 0, "pods", "metric", "name"))
                .isEqualTo("fairlane_scheduler_queue_depth");
    }

    @Test
    void engineTier_isAGpuStatefulSetFoundThroughAHeadlessServiceOnlyOnceReady() throws IOException {
        List<Map<String, Object>> all = render(BASE);
        Map<String, Object> engine = find(all, "StatefulSet", "fairlane-engine");
        Map<String, Object> headless = find(all, "Service", (String) Yaml.at(engine, "spec", "serviceName"));
        Map<String, Object> container = Yaml.mapAt(engine, "spec", "template", "spec", "containers", 0);

        assertThat(Yaml.at(headless, "spec", "clusterIP")).isEqualTo("None");
        assertThat(Yaml.at(headless, "spec", "publishNotReadyAddresses")).isEqualTo(false);
        assertThat(Yaml.at(container, "resources", "limits", "nvidia.com/gpu")).isEqualTo(1);
        assertThat(Yaml.at(container, "readinessProbe", "httpGet", "path")).isEqualTo("/health/ready");
        assertThat(Yaml.mapAt(find(all, "Deployment", "fairlane-router"), "spec", "template", "spec", "containers", 0,
                "resources", "limits")).doesNotContainKey("nvidia.com/gpu");
    }

    private static FairlaneConfig routerConfig(Path overlay) throws IOException {
        String yaml = (String) Yaml.at(find(render(overlay), "ConfigMap", "fairlane-router-config"), "data",
                "fairlane.yaml");
        return new ConfigLoader(Map.of("HOME", "/tmp", "FAIRLANE_ENGINE_KEY", "x", "FAIRLANE_PG_PASSWORD", "x",
                "FAIRLANE_INTERNAL_KEY", "a-key-of-at-least-thirty-two-bytes-for-the-test"))
                .parse(yaml, overlay.toString());
    }

    @Test
    void routerConfig_ofEachOverlay_loadsAndPointsAtTheEngineService() throws IOException {
        FairlaneConfig base = routerConfig(BASE);
        FairlaneConfig redis = routerConfig(BASE.resolve("redis"));
        FairlaneConfig postgres = routerConfig(BASE.resolve("postgres"));

        assertThat(base.shared().enabled()).isFalse();
        assertThat(redis.shared().redis()).hasValueSatisfying(u -> assertThat(u.getHost())
                .isEqualTo("fairlane-redis.fairlane.svc.cluster.local"));
        assertThat(postgres.storage().settings()).isPresent();
        assertThat(List.of(base, redis, postgres)).allSatisfy(c -> assertThat(c.models())
                .extracting(m -> m.id()).containsExactly("llama-3.1-8b-instruct"));
        assertThat(((UpstreamModelConfig) base.models().getFirst()).engines()).hasValueSatisfying(e -> {
            assertThat(e.dnsName()).contains("fairlane-engine.fairlane.svc.cluster.local");
            assertThat(e.internalKey()).isPresent();
        });
    }

    @Test
    void postgresOverlay_keepsTheInternalKeyAndAddsThePassword() throws IOException {
        Map<String, Object> router = find(render(BASE.resolve("postgres")), "Deployment", "fairlane-router");

        assertThat(Yaml.listAt(router, "spec", "template", "spec", "containers", 0, "envFrom"))
                .extracting(e -> Yaml.at(e, "secretRef", "name"))
                .containsExactly("fairlane-internal-key", "fairlane-postgres");
    }
}
