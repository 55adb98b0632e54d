package io.fairlane.gateway.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Any text as {@code fairlane.yaml}: the loader answers a configuration, or refuses it with errors that each say
 * where and what; it never throws anything else (a broken file must not take down a reload, and an operator needs
 * the path). Seeds: the shipped configurations' shapes, in {@code ConfigLoaderFuzzTestInputs}.
 */
class ConfigLoaderFuzzTest {

    private static final ConfigLoader LOADER = new ConfigLoader(Map.of("HOME", "/nonexistent/home"));

    @FuzzTest
    void parse_anyText_isAConfigOrErrorsWithTheirPaths(byte[] bytes) {
        try {
            LOADER.parse(new String(bytes, StandardCharsets.UTF_8), "fuzz");
        } catch (ConfigException e) {
            if (e.errors().isEmpty()) {
                throw new AssertionError("refused without saying why", e);
            }
            for (ConfigError error : e.errors()) {
                if (error.path() == null || error.message() == null || error.message().isBlank()) {
                    throw new AssertionError("an error without its path or message: " + error, e);
                }
            }
        }
    }
}
