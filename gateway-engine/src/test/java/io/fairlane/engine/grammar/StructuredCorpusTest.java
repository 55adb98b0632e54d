package io.fairlane.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.sampling.ConstraintVocabulary;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The structured-output corpus ({@link SchemaCorpus}, 247 schemas): every schema compiles, and a random-weight
 * model sampling under a sample of them (every fifth schema, two seeds) always ends with output that networknt's
 * validator accepts. The whole corpus, on Qwen3's vocabulary, runs in bench/structured.
 */
class StructuredCorpusTest {

    @Test
    void corpus_atLeast200Schemas_allCompile() {
        List<String> refused = new ArrayList<>();
        List<SchemaCorpus.Entry> all = SchemaCorpus.all();
        for (SchemaCorpus.Entry e : all) {
            try {
                Grammars.compile(new OutputConstraint.JsonSchema(e.name(), e.schema(), e.strict()));
            } catch (SchemaException x) {
                refused.add(e.name() + ": " + x.getMessage());
            }
        }
        assertThat(refused).as("%d schemas", all.size()).isEmpty();
        assertThat(all).hasSizeGreaterThanOrEqualTo(200);
    }

    @Test
    void randomModel_corpusSample_everyOutputEndsAndValidates() {
        ConstraintVocabulary vocabulary = RandomGeneration.builtin();
        List<String> problems = new ArrayList<>();
        List<SchemaCorpus.Entry> all = SchemaCorpus.all();
        int runs = 0;
        for (int i = 0; i < all.size(); i += 5) {
            SchemaCorpus.Entry e = all.get(i);
            OutputConstraint c = new OutputConstraint.JsonSchema(e.name(), e.schema(), e.strict());
            for (long seed = 0; seed < 2; seed++) {
                RandomGeneration.Output o = RandomGeneration.generate(vocabulary, RandomGeneration.BUILTIN::tokenBytes,
                        new int[] {RandomGeneration.BUILTIN_EOS}, c, seed * 7919 + i, 6000,
                        RandomGeneration.closingBias(3));
                runs++;
                if (!o.ended()) {
                    problems.add(e.name() + " seed " + seed + ": no EOS within 6000 tokens");
                } else if (!SchemaValidation.problems(e.schema(), o.text()).isEmpty()) {
                    problems.add(e.name() + " seed " + seed + ": " + SchemaValidation.problems(e.schema(), o.text())
                            + "\n" + o.text());
                }
            }
        }
        assertThat(problems).as("%d runs", runs).isEmpty();
    }

    @Test
    void randomModel_greedy_endsAndValidates() {
        ConstraintVocabulary vocabulary = RandomGeneration.builtin();
        SchemaCorpus.Entry e = SchemaCorpus.handwritten().getFirst();
        RandomGeneration.Output o = RandomGeneration.generate(vocabulary, RandomGeneration.BUILTIN::tokenBytes,
                new int[] {RandomGeneration.BUILTIN_EOS}, new OutputConstraint.JsonSchema(e.name(), e.schema(),
                        e.strict()), 3, 6000, RandomGeneration.closingBias(3));
        assertThat(SchemaValidation.problems(e.schema(), o.text())).as(o.text()).isEmpty();
    }
}
