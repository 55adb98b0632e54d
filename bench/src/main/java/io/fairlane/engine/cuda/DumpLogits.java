package io.fairlane.engine.cuda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.exec.BatchInput;
import io.fairlane.engine.exec.ExecutionBackend;
import io.fairlane.engine.exec.SequenceInput;
import io.fairlane.engine.model.Model;
import io.fairlane.engine.sampling.SamplingState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs a Hugging Face model directory through the production path (the engine's {@link Model} loader and
 * {@link CudaBackend}) and writes what bench/gpu/check-against-transformers.py compares with transformers: the
 * last-position logits of each prompt (a .npy float32 matrix) and each prompt's greedy continuation (JSON).
 *
 * <pre>java ... io.fairlane.engine.cuda.DumpLogits --model DIR --prompts prompts.json --greedy 40 --out PREFIX</pre>
 * prompts.json is a JSON array of token-id arrays; writes PREFIX.logits.npy and PREFIX.greedy.json.
 */
public final class DumpLogits {

    private DumpLogits() {
    }

    public static void main(String[] args) throws IOException {
        var a = GpuBenchmark.parse(args);
        io.fairlane.engine.exec.ExecutionBackendProvider.Availability availability = CudaBackend.probe();
        if (!availability.usable()) {
            System.err.println("DumpLogits: CUDA unavailable: " + availability.reason());
            System.exit(2);
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode prompts = json.readTree(Path.of(a.get("prompts")).toFile());
        int greedy = Integer.parseInt(a.getOrDefault("greedy", "40"));
        String prefix = a.getOrDefault("out", "fairlane");
        BackendOptions options = new BackendOptions(16, 1L << 30, 0, List.of(), 0.5, 2048, 8);
        try (ExecutionBackend backend = CudaBackend.open(Model.open(Path.of(a.get("model"))), options)) {
            System.out.println("DumpLogits: " + backend.describe());
            int vocab = backend.config().vocabSize();
            float[][] logits = new float[prompts.size()][];
            ArrayNode continuations = json.createArrayNode();
            int next = 0;
            SamplingState g = SamplingState.of(SamplingParams.greedy(greedy + 1), 0L, 0);
            for (int p = 0; p < prompts.size(); p++) {
                int[] tokens = new int[prompts.get(p).size()];
                for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = prompts.get(p).get(i).asInt();
                }
                int blocks = (tokens.length + greedy + 15) / 16 + 1;
                int[] table = new int[blocks];
                int[] table2 = new int[blocks];
                for (int i = 0; i < blocks; i++) {
                    table[i] = next++;
                    table2[i] = next++;
                }
                logits[p] = backend.step(BatchInput.of(SequenceInput.logits(tokens, 0, table))).logits(0);
                // greedy continuation: the prompt again on other blocks, then one token at a time, sampled on device
                ArrayNode seq = continuations.addArray();
                int token = backend.step(BatchInput.of(SequenceInput.sample(tokens, 0, table2, g))).token(0);
                for (int i = 0; i < greedy; i++) {
                    seq.add(token);
                    token = backend.step(BatchInput.of(SequenceInput.sample(new int[] {token}, tokens.length + i,
                            table2, g))).token(0);
                }
            }
            writeNpy(Path.of(prefix + ".logits.npy"), logits, vocab);
            ObjectNode meta = json.createObjectNode();
            meta.put("device", backend.describe());
            meta.set("greedy", continuations);
            json.writeValue(Path.of(prefix + ".greedy.json").toFile(), meta);
        }
    }

    /** A float32 matrix in NumPy's .npy format (version 1.0). */
    static void writeNpy(Path file, float[][] rows, int cols) throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows.length + ", " + cols + "), }";
        int unpadded = 10 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer buf = ByteBuffer.allocate(10 + header.length() + 4 * rows.length * cols).order(ByteOrder.LITTLE_ENDIAN);
        buf.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        buf.putShort((short) header.length());
        buf.put(header.getBytes(StandardCharsets.US_ASCII));
        for (float[] row : rows) {
            for (float v : row) {
                buf.putFloat(v);
            }
        }
        Files.write(file, buf.array());
    }
}
