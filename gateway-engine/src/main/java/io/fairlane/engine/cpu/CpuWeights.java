package io.fairlane.engine.cpu;

import io.fairlane.engine.model.LayerWeights;
import io.fairlane.engine.model.ModelWeights;
import io.fairlane.engine.model.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * A model's weights as the CPU forward pass reads them. The embedding is only looked up row by row, so it is
 * read in place from the mapped file; every matrix a matmul reads is prepared once, at load, by
 * {@link Matrix#forMatmul} (bf16 repacked into off-heap panels in the runner's arena, f16 widened to f32); norms
 * and biases are copied to small float arrays. A tied bf16 output matrix gets panels of its own beside the
 * lookups' mapped rows.
 *
 * @param panelBytes off-heap bytes of the repacked panels, for the startup log
 */
record CpuWeights(Matrix embedding, Matrix output, float[] finalNorm, List<Layer> layers, long panelBytes) {

    /** One decoder layer; biases, and Qwen3's q/k norms, are null where the family has none. */
    record Layer(float[] inputNorm, Matrix q, Matrix k, Matrix v, Matrix o, float[] qBias, float[] kBias,
                 float[] vBias, float[] oBias, float[] qNorm, float[] kNorm, float[] postNorm, Matrix gate,
                 Matrix up, Matrix down) {

        List<Matrix> matrices() {
            return List.of(q, k, v, o, gate, up, down);
        }
    }

    CpuWeights {
        layers = List.copyOf(layers);
    }

    /** Prepares {@code w}; the panels live in {@code arena} and are packed in parallel on {@code pool}. */
    static CpuWeights prepare(ModelWeights w, Arena arena, WorkerPool pool) {
        Objects.requireNonNull(w, "w");
        Matrix embedding = Matrix.of(w.embedding(), arena);
        Matrix output = Matrix.forMatmul(w.output() == w.embedding() ? embedding : Matrix.of(w.output(), arena),
                arena, pool);
        Function<Tensor, Matrix> linear = t -> Matrix.forMatmul(t, arena, pool);
        List<Layer> layers = new ArrayList<>();
        for (LayerWeights lw : w.layers()) {
            layers.add(new Layer(lw.inputNorm().toFloatArray(), linear.apply(lw.q()), linear.apply(lw.k()),
                    linear.apply(lw.v()), linear.apply(lw.o()), floats(lw.qBias()), floats(lw.kBias()),
                    floats(lw.vBias()), floats(lw.oBias()), floats(lw.qNorm()), floats(lw.kNorm()),
                    lw.postAttentionNorm().toFloatArray(), linear.apply(lw.gate()), linear.apply(lw.up()),
                    linear.apply(lw.down())));
        }
        long packed = output.panelBytes();
        for (Layer l : layers) {
            for (Matrix m : l.matrices()) {
                packed += m.panelBytes();
            }
        }
        return new CpuWeights(embedding, output, w.finalNorm().toFloatArray(), layers, packed);
    }

    private static float[] floats(Tensor t) {
        return t == null ? null : t.toFloatArray();
    }

    @Override
    public String toString() {
        return "CpuWeights[" + layers.size() + " layers, " + (panelBytes >> 20) + " MiB of panels]";
    }
}
