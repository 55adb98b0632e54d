package io.fairlane.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ModelConfigTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FILE = Path.of("m/config.json");

    // Abridged from the published config.json files of the named checkpoints (the keys the loader reads).
    static final String LLAMA_31_8B = """
            {"architectures":["LlamaForCausalLM"],"attention_bias":false,"bos_token_id":128000,
             "eos_token_id":128001,"hidden_act":"silu","hidden_size":4096,"intermediate_size":14336,
             "max_position_embeddings":131072,"mlp_bias":false,"model_type":"llama","num_attention_heads":32,
             "num_hidden_layers":32,"num_key_value_heads":8,"rms_norm_eps":1e-05,
             "rope_scaling":{"factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,
               "original_max_position_embeddings":8192,"rope_type":"llama3"},
             "rope_theta":500000.0,"tie_word_embeddings":false,"torch_dtype":"bfloat16","vocab_size":128256}""";
    static final String LLAMA_2_7B = """
            {"architectures":["LlamaForCausalLM"],"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu",
             "hidden_size":4096,"intermediate_size":11008,"max_position_embeddings":4096,"model_type":"llama",
             "num_attention_heads":32,"num_hidden_layers":32,"num_key_value_heads":32,"rms_norm_eps":1e-05,
             "rope_scaling":null,"tie_word_embeddings":false,"torch_dtype":"float16","vocab_size":32000}""";
    static final String QWEN25_05B = """
            {"architectures":["Qwen2ForCausalLM"],"bos_token_id":151643,"eos_token_id":151643,"hidden_act":"silu",
             "hidden_size":896,"intermediate_size":4864,"max_position_embeddings":32768,"max_window_layers":24,
             "model_type":"qwen2","num_attention_heads":14,"num_hidden_layers":24,"num_key_value_heads":2,
             "rms_norm_eps":1e-06,"rope_theta":1000000.0,"sliding_window":32768,"tie_word_embeddings":true,
             "torch_dtype":"bfloat16","use_sliding_window":false,"vocab_size":151936}""";
    static final String QWEN3_06B = """
            {"architectures":["Qwen3ForCausalLM"],"attention_bias":false,"bos_token_id":151643,
             "eos_token_id":151645,"head_dim":128,"hidden_act":"silu","hidden_size":1024,
             "intermediate_size":3072,"max_position_embeddings":40960,"max_window_layers":28,"model_type":"qwen3",
             "num_attention_heads":16,"num_hidden_layers":28,"num_key_value_heads":8,"rms_norm_eps":1e-06,
             "rope_scaling":null,"rope_theta":1000000,"sliding_window":null,"tie_word_embeddings":true,
             "torch_dtype":"bfloat16","use_sliding_window":false,"vocab_size":151936}""";
    static final String MISTRAL_7B_V01 = """
            {"architectures":["MistralForCausalLM"],"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu",
             "hidden_size":4096,"intermediate_size":14336,"max_position_embeddings":32768,"model_type":"mistral",
             "num_attention_heads":32,"num_hidden_layers":32,"num_key_value_heads":8,"rms_norm_eps":1e-05,
             "rope_theta":10000.0,"sliding_window":4096,"tie_word_embeddings":false,"torch_dtype":"bfloat16",
             "vocab_size":32000}""";

    static ModelConfig parse(String json) {
        return parse(json, null);
    }

    static ModelConfig parse(String json, String generation) {
        try {
            JsonNode gen = generation == null ? null : JSON.readTree(generation);
            return ModelConfig.parse(FILE, JSON.readTree(json), gen);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void parse_llama31_readsGqaAndLlama3RopeScaling() {
        ModelConfig c = parse(LLAMA_31_8B);
        assertThat(c.family()).isEqualTo(ModelFamily.LLAMA);
        assertThat(c.kvHeads()).isEqualTo(8);
        assertThat(c.headDim()).isEqualTo(128);
        assertThat(c.ropeScaling()).isEqualTo(new RopeScaling.Llama3(8, 1, 4, 8192));
    }

    @Test
    void parse_llama31_countsEightBillionParameters() {
        assertThat(parse(LLAMA_31_8B).parameterCount()).isEqualTo(8_030_261_248L);
    }

    @Test
    void parse_llama2_hasNoScalingAndFullHeads() {
        ModelConfig c = parse(LLAMA_2_7B);
        assertThat(c.ropeScaling()).isInstanceOf(RopeScaling.None.class);
        assertThat(c.kvHeads()).isEqualTo(c.heads());
    }

    @Test
    void parse_qwen25_hasQkvBiasTiedEmbeddingsAndNoWindow() {
        ModelConfig c = parse(QWEN25_05B);
        assertThat(c.qkvBias()).isTrue();
        assertThat(c.outputBias()).isFalse();
        assertThat(c.tiedEmbeddings()).isTrue();
        assertThat(c.slidingWindow()).isZero();
    }

    @Test
    void parse_qwen3_hasQkNormAndHeadDimIndependentOfWidth() {
        ModelConfig c = parse(QWEN3_06B);
        assertThat(c.qkNorm()).isTrue();
        assertThat(c.headDim()).isEqualTo(128);
        assertThat(c.qDim()).isEqualTo(2048).isNotEqualTo(c.hiddenSize());
    }

    @Test
    void parse_mistralV01_keepsItsSlidingWindow() {
        assertThat(parse(MISTRAL_7B_V01).slidingWindow()).isEqualTo(4096);
    }

    @Test
    void parse_mistralWindowAsLongAsContext_isNoWindow() {
        assertThat(parse(MISTRAL_7B_V01.replace("\"sliding_window\":4096", "\"sliding_window\":32768"))
                .slidingWindow()).isZero();
    }

    @Test
    void parse_generationConfigEos_overridesConfigEos() {
        ModelConfig c = parse(LLAMA_31_8B, "{\"eos_token_id\":[128001,128008,128009]}");
        assertThat(c.eosTokenIds()).containsExactly(128001, 128008, 128009);
    }

    @Test
    void parse_withoutGenerationConfig_usesConfigEos() {
        assertThat(parse(QWEN3_06B).eosTokenIds()).containsExactly(151645);
    }

    @Test
    void ropeFrequencies_llama3_keepHighAndDivideLowFrequencies() {
        ModelConfig c = parse(LLAMA_31_8B);
        double[] f = c.ropeInverseFrequencies();
        // Wavelength 2π/f: the first pair turns fastest (kept as is), the last slowest (divided by 8).
        assertThat(f[0]).isEqualTo(1.0);
        double plainLast = 1.0 / Math.pow(500000, 126.0 / 128);
        assertThat(f[63]).isCloseTo(plainLast / 8, org.assertj.core.data.Offset.offset(1e-15));
    }

    @Test
    void ropeFrequencies_llama3_blendTheMiddleBand() {
        double[] f = parse(LLAMA_31_8B).ropeInverseFrequencies();
        int i = 31; // wavelength 2π·500000^(62/128) ≈ 3.6k, between 8192/4 and 8192
        double plain = 1.0 / Math.pow(500000, 2.0 * i / 128);
        double smooth = (8192 / (2 * Math.PI / plain) - 1) / (4 - 1);
        assertThat(f[i]).isCloseTo((1 - smooth) * plain / 8 + smooth * plain,
                org.assertj.core.data.Offset.offset(1e-15));
    }

    @Test
    void parse_unsupportedArchitecture_isRefusedWithTheName() {
        assertThatThrownBy(() -> parse(QWEN3_06B.replace("Qwen3ForCausalLM", "Qwen3MoeForCausalLM")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("Qwen3MoeForCausalLM")
                .hasMessageContaining("not supported");
    }

    @Test
    void parse_yarnRopeScaling_isRefused() {
        String yarn = QWEN25_05B.replace("\"rope_theta\"",
                "\"rope_scaling\":{\"type\":\"yarn\",\"factor\":4.0,\"original_max_position_embeddings\":32768},"
                        + "\"rope_theta\"");
        assertThatThrownBy(() -> parse(yarn)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("yarn");
    }

    @Test
    void parse_quantizedCheckpoint_isRefused() {
        String q = LLAMA_2_7B.replace("\"rope_scaling\"", "\"quantization_config\":{\"quant_method\":\"awq\"},"
                + "\"rope_scaling\"");
        assertThatThrownBy(() -> parse(q)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("quantized");
    }

    @Test
    void parse_qwenSlidingWindowEnabled_isRefusedWithReason() {
        assertThatThrownBy(() -> parse(QWEN25_05B.replace("\"use_sliding_window\":false",
                "\"use_sliding_window\":true"))).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("max_window_layers");
    }

    @Test
    void parse_otherActivation_isRefused() {
        assertThatThrownBy(() -> parse(LLAMA_2_7B.replace("\"silu\"", "\"gelu\"")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("gelu");
    }

    @Test
    void parse_missingHiddenSize_namesFileAndKey() {
        assertThatThrownBy(() -> parse(LLAMA_2_7B.replace("\"hidden_size\":4096,", "")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("config.json")
                .hasMessageContaining("hidden_size");
    }

    @Test
    void parse_headsNotMultipleOfKvHeads_isRefused() {
        assertThatThrownBy(() -> parse(LLAMA_31_8B.replace("\"num_key_value_heads\":8", "\"num_key_value_heads\":5")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("num_key_value_heads");
    }

    @Test
    void parse_ropeParametersOfNewerTransformers_areRead() {
        String v5 = LLAMA_2_7B.replace("\"rope_scaling\":null,",
                "\"rope_parameters\":{\"rope_theta\":250000.0,\"rope_type\":\"default\"},");
        assertThat(parse(v5).ropeTheta()).isEqualTo(250000.0);
    }
}
