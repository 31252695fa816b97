package io.otfuse.io;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tensor names and shapes a Hugging Face checkpoint of a given config must hold
 * ({@code ViTForImageClassification}, {@code BertForMaskedLM}), in HF order.
 */
public final class HfLayout {
    private HfLayout() {}

    /** Tensors some checkpoints carry that otfuse accepts and ignores. */
    public static final Set<String> OPTIONAL_BERT = Set.of(
            "bert.embeddings.position_ids", "cls.predictions.decoder.weight", "cls.predictions.decoder.bias",
            "bert.pooler.dense.weight", "bert.pooler.dense.bias",
            "cls.seq_relationship.weight", "cls.seq_relationship.bias");
    public static final Set<String> OPTIONAL_VIT = Set.of("vit.pooler.dense.weight", "vit.pooler.dense.bias");

    public static Map<String, long[]> expected(ModelConfig c) {
        return c instanceof VitConfig v ? vit(v) : bert((BertConfig) c);
    }

    public static Set<String> optional(ModelConfig c) {
        return c instanceof VitConfig ? OPTIONAL_VIT : OPTIONAL_BERT;
    }

    public static Map<String, long[]> vit(VitConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long h = c.hiddenSize, f = c.intermediateSize;
        m.put("vit.embeddings.cls_token", new long[] {1, 1, h});
        m.put("vit.embeddings.position_embeddings", new long[] {1, c.seqLength(), h});
        m.put("vit.embeddings.patch_embeddings.projection.weight", new long[] {h, c.numChannels, c.patchSize, c.patchSize});
        m.put("vit.embeddings.patch_embeddings.projection.bias", new long[] {h});
        for (int i = 0; i < c.numHiddenLayers; i++) {
            String p = "vit.encoder.layer." + i + ".";
            m.put(p + "layernorm_before.weight", new long[] {h});
            m.put(p + "layernorm_before.bias", new long[] {h});
            for (String q : List.of("query", "key", "value")) {
                m.put(p + "attention.attention." + q + ".weight", new long[] {h, h});
                m.put(p + "attention.attention." + q + ".bias", new long[] {h});
            }
            m.put(p + "attention.output.dense.weight", new long[] {h, h});
            m.put(p + "attention.output.dense.bias", new long[] {h});
            m.put(p + "layernorm_after.weight", new long[] {h});
            m.put(p + "layernorm_after.bias", new long[] {h});
            m.put(p + "intermediate.dense.weight", new long[] {f, h});
            m.put(p + "intermediate.dense.bias", new long[] {f});
            m.put(p + "output.dense.weight", new long[] {h, f});
            m.put(p + "output.dense.bias", new long[] {h});
        }
        m.put("vit.layernorm.weight", new long[] {h});
        m.put("vit.layernorm.bias", new long[] {h});
        m.put("classifier.weight", new long[] {c.numLabels, h});
        m.put("classifier.bias", new long[] {c.numLabels});
        return m;
    }

    public static Map<String, long[]> bert(BertConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long h = c.hiddenSize, f = c.intermediateSize;
        m.put("bert.embeddings.word_embeddings.weight", new long[] {c.vocabSize, h});
        m.put("bert.embeddings.position_embeddings.weight", new long[] {c.maxPositionEmbeddings, h});
        m.put("bert.embeddings.token_type_embeddings.weight", new long[] {c.typeVocabSize, h});
        m.put("bert.embeddings.LayerNorm.weight", new long[] {h});
        m.put("bert.embeddings.LayerNorm.bias", new long[] {h});
        for (int i = 0; i < c.numHiddenLayers; i++) {
            String p = "bert.encoder.layer." + i + ".";
            for (String q : List.of("query", "key", "value")) {
                m.put(p + "attention.self." + q + ".weight", new long[] {h, h});
                m.put(p + "attention.self." + q + ".bias", new long[] {h});
            }
            m.put(p + "attention.output.dense.weight", new long[] {h, h});
            m.put(p + "attention.output.dense.bias", new long[] {h});
            m.put(p + "attention.output.LayerNorm.weight", new long[] {h});
            m.put(p + "attention.output.LayerNorm.bias", new long[] {h});
            m.put(p + "intermediate.dense.weight", new long[] {f, h});
            m.put(p + "intermediate.dense.bias", new long[] {f});
            m.put(p + "output.dense.weight", new long[] {h, f});
            m.put(p + "output.dense.bias", new long[] {h});
            m.put(p + "output.LayerNorm.weight", new long[] {h});
            m.put(p + "output.LayerNorm.bias", new long[] {h});
        }
        m.put("cls.predictions.transform.dense.weight", new long[] {h, h});
        m.put("cls.predictions.transform.dense.bias", new long[] {h});
        m.put("cls.predictions.transform.LayerNorm.weight", new long[] {h});
        m.put("cls.predictions.transform.LayerNorm.bias", new long[] {h});
        m.put("cls.predictions.bias", new long[] {c.vocabSize});
        return m;
    }

    /** Maps legacy LayerNorm names ({@code gamma}/{@code beta}) to the current ones. */
    public static String canonical(String name) {
        if (name.endsWith("LayerNorm.gamma")) return name.substring(0, name.length() - 5) + "weight";
        if (name.endsWith("LayerNorm.beta")) return name.substring(0, name.length() - 4) + "bias";
        return name;
    }
}
