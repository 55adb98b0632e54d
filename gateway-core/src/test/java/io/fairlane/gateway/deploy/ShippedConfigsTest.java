package io.fairlane.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigException;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.config.TenantConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every configuration the project ships (the default, the examples, the compose stack's, the Kubernetes
 * ConfigMap's) goes through the gateway's real {@link ConfigLoader}, and the container ones listen where
 * their container is reached.
 */
class ShippedConfigsTest {

    private static final Path ROOT = ProjectFiles.root();
    private static final Path COMPOSE_CONFIG = ROOT.resolve("docker/config/fairlane.yaml");
    private static final ConfigLoader LOADER = new ConfigLoader(Map.of("HOME", "/var/lib/fairlane"));

    /** Each shipped configuration as (name, YAML text). */
    static Stream<Arguments> shippedConfigs() throws IOException {
        List<Arguments> out = new ArrayList<>();
        out.add(Arguments.of("config/fairlane.yaml",
                Files.readString(ROOT.resolve("config/fairlane.yaml"))));
        try (Stream<Path> examples = Files.list(ROOT.resolve("config/examples"))) {
            for (Path p : examples.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                out.add(Arguments.of("config/examples/" + p.getFileName(),
                        Files.readString(p)));
            }
        }
        out.add(Arguments.of("docker/config/fairlane.yaml",
                Files.readString(COMPOSE_CONFIG)));
        out.add(Arguments.of("docker/k8s/configmap.yaml", configMapYaml()));
        return out.stream();
    }

    private static String configMapYaml() throws IOException {
        return (String) Yaml.at(Yaml.map(ROOT.resolve("docker/k8s/configmap.yaml")), "data", "fairlane.yaml");
    }

    private static FairlaneConfig compose() throws IOException {
        return LOADER.load(COMPOSE_CONFIG);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shippedConfigs")
    void shippedConfig_passesTheGatewaysLoader(String name, String yaml) {
        try {
            LOADER.parse(yaml, name);
        } catch (ConfigException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    /**
     * The host file compose mounts where the image's {@code CMD} reads its config ({@code --config PATH}),
     * with {@code ${FAIRLANE_CONFIG:-default}} at its default.
     */
    private static Path composeMountedConfig() throws IOException {
        List<String> cmd = DockerfileTest.execForm("Dockerfile.cpu", "CMD");
        String imageConfig = cmd.get(cmd.indexOf("--config") + 1);
        for (Object volume : Yaml.listAt(Yaml.map(ROOT.resolve("docker/compose.yaml")), "services", "fairlane",
                "volumes")) {
            String host = DeploymentFilesTest.hostPart((String) volume);
            String container = ((String) volume).substring(((String) volume).indexOf(":/") + 1).replaceFirst(":ro$", "");
            if (container.equals(imageConfig)) {
                return ROOT.resolve("docker").resolve(host).normalize();
            }
        }
        throw new AssertionError("docker/compose.yaml mounts nothing at the image's config path " + imageConfig);
    }

    @Test
    void composeFile_configItMountsForTheImage_passesTheGatewaysLoader() throws IOException {
        Path mounted = composeMountedConfig();
        try {
            assertThat(LOADER.load(mounted).tenants()).as(mounted.toString()).isNotEmpty();
        } catch (ConfigException e) {
            throw new AssertionError(mounted + ": " + e.getMessage(), e);
        }
    }

    @Test
    void composeConfig_listensOnEveryInterface() throws IOException {
        assertThat(compose().server().host()).isEqualTo("0.0.0.0");
    }

    @Test
    void configMap_listensOnEveryInterface() throws IOException {
        assertThat(LOADER.parse(configMapYaml(), "configmap").server().host()).isEqualTo("0.0.0.0");
    }

    @Test
    void composeConfig_portIsThePublishedContainerPortAndTheHealthchecksPort() throws IOException {
        Object published = Yaml.listAt(Yaml.map(ROOT.resolve("docker/compose.yaml")), "services", "fairlane", "ports")
                .getFirst();
        String containerPort = ((String) published).substring(((String) published).lastIndexOf(':') + 1);
        assertThat(List.of(String.valueOf(compose().server().port()), containerPort))
                .containsOnly(imageEnv("FAIRLANE_PORT"));
    }

    @Test
    void composeConfig_hasTwoTenantsEachWithSlos() throws IOException {
        List<TenantConfig> tenants = compose().tenants();
        assertThat(tenants).hasSize(2).allSatisfy(t -> assertThat(t.slos()).isNotEmpty());
    }

    @Test
    void composeConfig_keysAreTheOnesTheOperationsGuidePrints() throws IOException {
        FairlaneConfig c = compose();
        List<ApiKeyHash> keys = new ArrayList<>();
        c.tenants().forEach(t -> keys.addAll(t.apiKeys()));
        keys.addAll(c.adminKeys());
        assertThat(keys).containsExactly(ApiKeyHash.of("sk-fairlane-team-a"), ApiKeyHash.of("sk-fairlane-team-b"),
                ApiKeyHash.of("sk-fairlane-admin"));
    }

    @Test
    void operationsGuide_printsTheComposeKeys() throws IOException {
        String guide = Files.readString(ROOT.resolve("docs/operations.md"));
        assertThat(guide).contains("sk-fairlane-team-a", "sk-fairlane-team-b", "sk-fairlane-admin");
    }

    @Test
    void composeConfig_servesALocalModelSoEnginePanelsFill() throws IOException {
        assertThat(compose().models()).anySatisfy(m -> assertThat(m)
                .isInstanceOf(io.fairlane.gateway.config.LocalModelConfig.class));
    }

    @Test
    void deploymentArgs_areTheImagesCmd() throws IOException {
        Object args = Yaml.at(Yaml.map(ROOT.resolve("docker/k8s/deployment.yaml")), "spec", "template", "spec",
                "containers", 0, "args");
        assertThat(args).isEqualTo(DockerfileTest.execForm("Dockerfile", "CMD"));
    }

    /** An {@code ENV} value of the CPU image. */
    private static String imageEnv(String name) throws IOException {
        String text = Files.readString(ROOT.resolve("docker/Dockerfile.cpu")).replace("\\\n", " ");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b" + name + "=(\\S+)").matcher(text);
        assertThat(m.find()).as(name + " in Dockerfile.cpu").isTrue();
        return m.group(1);
    }
}
