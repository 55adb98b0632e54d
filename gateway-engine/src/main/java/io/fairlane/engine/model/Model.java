package io.fairlane.engine.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A Hugging Face model directory opened for inference: its config and its memory-mapped, shape-checked
 * weights. The tokenizer files beside them are read by the tokenizer package.
 *
 * <p>Thread-safe for reads; {@link #close()} unmaps the weights (backends that copied them, like the CUDA
 * backend after upload, may close the model early).
 */
public final class Model implements AutoCloseable {

    private final Path directory;
    private final ModelConfig config;
    private final Weights files;
    private final ModelWeights weights;

    private Model(Path directory, ModelConfig config, Weights files, ModelWeights weights) {
        this.directory = directory;
        this.config = config;
        this.files = files;
        this.weights = weights;
    }

    /**
     * Reads the config and maps and checks the weights of {@code directory}.
     *
     * @throws ModelFormatException with the file, tensor or key at fault and the reason
     */
    public static Model open(Path directory) {
        Objects.requireNonNull(directory, "directory");
        if (!Files.isDirectory(directory)) {
            throw new ModelFormatException(directory + ": model directory does not exist");
        }
        ModelConfig config = ModelConfig.load(directory);
        Weights files = Weights.open(directory);
        try {
            return new Model(directory, config, files, ModelWeights.bind(config, files));
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
    }

    public Path directory() {
        return directory;
    }

    public ModelConfig config() {
        return config;
    }

    /** Every tensor of the checkpoint by name (for backends that upload by name). */
    public Weights files() {
        return files;
    }

    /** The checked tensors the forward pass reads. */
    public ModelWeights weights() {
        return weights;
    }

    @Override
    public void close() {
        files.close();
    }

    @Override
    public String toString() {
        return "Model[" + config.family().modelType() + ", " + config.layers() + " layers, hidden "
                + config.hiddenSize() + ", vocab " + config.vocabSize() + ", " + directory + "]";
    }
}
