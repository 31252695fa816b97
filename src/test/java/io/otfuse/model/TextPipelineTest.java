package io.otfuse.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.otfuse.model.text.Corpus;
import io.otfuse.model.text.MlmData;
import io.otfuse.model.text.WordPiece;
import io.otfuse.model.text.WordPieceTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextPipelineTest {
    @TempDir Path tmp;

    static List<String> corpus() {
        List<String> c = new ArrayList<>();
        String[] base = {"The quick brown fox jumps over the lazy dog.", "A dog is a domesticated carnivorous mammal; \"the dog barked all night\"",
                "Foxes are small-to-medium-sized omnivorous mammals.", "Café crème, naïve résumé!", "jumping jumped jumps jumper"};
        for (int i = 0; i < 20; i++) for (String b : base) c.add(b);
        return c;
    }

    @Test
    void trainedVocabularyEncodesLikeHuggingFaceTokenizers() throws Exception {
        WordPiece wp = WordPieceTrainer.train(corpus(), 120, 1);
        assertEquals(120, wp.size());
        assertEquals(WordPiece.SPECIALS, wp.vocab().subList(0, 5));
        for (Map.Entry<String, byte[]> e : wp.files(32).entrySet()) Files.write(tmp.resolve(e.getKey()), e.getValue());
        List<String> probes = List.of("The quick brown fox jumped!", "Naïve CAFÉ dogs barked; résumé of a jumper", "unseen zebra xylophone 42");
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(tmp.resolve("tokenizer.json"))) {
            for (String p : probes) {
                Encoding e = hf.encode(p);
                int[] ours = wp.encode(p);
                long[] want = e.getIds();
                assertEquals(WordPiece.CLS, want[0]);
                assertEquals(WordPiece.SEP, want[want.length - 1]);
                long[] mid = java.util.Arrays.copyOfRange(want, 1, want.length - 1);
                assertArrayEquals(mid, java.util.Arrays.stream(ours).asLongStream().toArray(), "ids of: " + p);
            }
        }
        // vocab.txt round trip
        assertEquals(wp.vocab(), WordPiece.readVocab(tmp.resolve("vocab.txt")).vocab());
    }

    @Test
    void trainingIsDeterministicAndMergesFrequentPieces() {
        WordPiece a = WordPieceTrainer.train(corpus(), 150, 1), b = WordPieceTrainer.train(corpus(), 150, 1);
        assertEquals(a.vocab(), b.vocab());
        assertTrue(a.vocab().contains("the"));
        assertTrue(a.vocab().contains("dog"));
        assertEquals(1, a.encode("jumps").length);
    }

    @Test
    void maskingFollows80_10_10AndPacksFullBlocks() {
        WordPiece wp = WordPieceTrainer.train(corpus(), 150, 1);
        MlmData d = new MlmData(corpus(), wp, 16);
        assertTrue(d.size() > 10);
        for (int i = 0; i < d.size(); i++) assertEquals(16, d.block(i).length);
        int[] idx = new int[d.size()];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        long sel = 0, masked = 0, kept = 0, nonSpecial = 0;
        Random r = new Random(1);
        for (int rep = 0; rep < 40; rep++) {
            MlmData.Masked m = d.mask(idx, 0.15, r);
            for (int i = 0; i < m.positions().length; i++) {
                int p = (int) m.positions()[i];
                long orig = d.block(p / 16)[p % 16];
                assertEquals(orig, m.labels()[i]);
                assertTrue(!MlmData.special((int) orig));
                if (m.ids()[p] == WordPiece.MASK) masked++;
                else if (m.ids()[p] == orig) kept++;
            }
            sel += m.positions().length;
            for (int[] blk : java.util.stream.IntStream.of(idx).mapToObj(d::block).toList()) for (int t : blk) if (!MlmData.special(t)) nonSpecial++;
        }
        double rate = (double) sel / nonSpecial;
        assertEquals(0.15, rate, 0.01);
        assertEquals(0.8, (double) masked / sel, 0.03);
        assertTrue(kept > 0.07 * sel && kept < 0.14 * sel, "kept " + kept + " of " + sel); // 10 % unchanged + random hits of the same id
    }

    @Test
    void wordnetSplitIsFixedAndDisjoint() {
        Path wn = Corpus.WORDNET;
        if (!Files.isRegularFile(wn.resolve("data.adv"))) return; // wordnet-base not installed
        List<String> tr = Corpus.wordnet(wn, false), va = Corpus.wordnet(wn, true);
        assertTrue(va.size() > 0.03 * (tr.size() + va.size()) && va.size() < 0.07 * (tr.size() + va.size()));
        assertTrue(tr.get(0).contains(" : "));
        assertEquals(va, Corpus.wordnet(wn, true));
    }
}
