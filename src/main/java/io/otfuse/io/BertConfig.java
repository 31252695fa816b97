package io.otfuse.io;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** HF {@code BertForMaskedLM} configuration ({@code model_type: "bert"}). */
public final class BertConfig extends ModelConfig {
    public final int vocabSize;
    public final int maxPositionEmbeddings;
    public final int typeVocabSize;
    public final int padTokenId;

    BertConfig(ObjectNode raw, String source) {
        super(raw, source);
        vocabSize = positiveInt("vocab_size", null);
        maxPositionEmbeddings = positiveInt("max_position_embeddings", 512);
        typeVocabSize = positiveInt("type_vocab_size", 2);
        padTokenId = integer("pad_token_id", 0);
        String pet = text("position_embedding_type", "absolute");
        if (!pet.equals("absolute")) throw fieldError("position_embedding_type", "only \"absolute\" is supported, got \"" + pet + "\"");
        if (padTokenId < 0 || padTokenId >= vocabSize) throw fieldError("pad_token_id", padTokenId + " is outside the vocabulary of " + vocabSize);
    }

    @Override
    public Family family() {
        return Family.BERT;
    }

    @Override
    public String architecture() {
        return "BertForMaskedLM";
    }

    @Override
    protected void writeFamilyFields(ObjectNode o) {
        o.put("model_type", "bert");
        o.put("vocab_size", vocabSize);
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("type_vocab_size", typeVocabSize);
        o.put("pad_token_id", padTokenId);
        o.put("position_embedding_type", "absolute");
    }

    /** A new BERT masked-LM configuration in HF form. */
    public static BertConfig create(int hidden, int layers, int heads, int mlp, int vocab, int maxLen) {
        ObjectNode o = newConfig("BertForMaskedLM", "bert", hidden, layers, heads, mlp);
        o.put("vocab_size", vocab);
        o.put("max_position_embeddings", maxLen);
        o.put("type_vocab_size", 2);
        o.put("pad_token_id", 0);
        o.put("position_embedding_type", "absolute");
        o.put("torch_dtype", "float32");
        return new BertConfig(o, "<new bert config>");
    }
}
