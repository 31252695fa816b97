package io.otfuse.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A Hugging Face {@code config.json}: the typed fields otfuse uses plus the original JSON, so fields it
 * does not know are written back unchanged.
 */
public abstract sealed class ModelConfig permits VitConfig, BertConfig {
    public static final String FILE = "config.json";
    static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** Model families otfuse supports. */
    public enum Family { VIT, BERT }

    protected final ObjectNode raw;
    protected final String source;
    public final int hiddenSize;
    public final int numHiddenLayers;
    public final int numAttentionHeads;
    public final int intermediateSize;
    public final double layerNormEps;
    public final String hiddenAct;
    public final double hiddenDropoutProb;
    public final double attentionProbsDropoutProb;
    public final double initializerRange;

    protected ModelConfig(ObjectNode raw, String source) {
        this.raw = raw;
        this.source = source;
        hiddenSize = positiveInt("hidden_size", null);
        numHiddenLayers = positiveInt("num_hidden_layers", null);
        numAttentionHeads = positiveInt("num_attention_heads", null);
        intermediateSize = positiveInt("intermediate_size", null);
        layerNormEps = number("layer_norm_eps", 1e-12);
        hiddenAct = text("hidden_act", "gelu");
        hiddenDropoutProb = number("hidden_dropout_prob", 0.0);
        attentionProbsDropoutProb = number("attention_probs_dropout_prob", 0.0);
        initializerRange = number("initializer_range", 0.02);
        if (hiddenSize % numAttentionHeads != 0) {
            throw fieldError("num_attention_heads", "hidden_size " + hiddenSize + " is not divisible by num_attention_heads " + numAttentionHeads);
        }
        if (!(layerNormEps > 0)) throw fieldError("layer_norm_eps", "must be positive, got " + layerNormEps);
        if (!hiddenAct.equals("gelu")) throw fieldError("hidden_act", "only \"gelu\" (exact erf GELU) is supported, got \"" + hiddenAct + "\"");
        if (hiddenDropoutProb < 0 || hiddenDropoutProb >= 1) throw fieldError("hidden_dropout_prob", "must be in [0, 1), got " + hiddenDropoutProb);
        if (attentionProbsDropoutProb < 0 || attentionProbsDropoutProb >= 1) throw fieldError("attention_probs_dropout_prob", "must be in [0, 1), got " + attentionProbsDropoutProb);
    }

    public abstract Family family();

    /** The HF architecture class name written to {@code architectures}. */
    public abstract String architecture();

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Reads {@code config.json} from a checkpoint folder. */
    public static ModelConfig read(Path dir) {
        Path file = dir.resolve(FILE);
        JsonNode node;
        try {
            node = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new OtfuseException(ExitCode.BAD_CONFIG, file + ": missing (a checkpoint folder needs config.json)");
        } catch (IOException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
            throw new OtfuseException(ExitCode.BAD_CONFIG, file + ": not valid JSON: " + m);
        }
        return parse(node, file.toString());
    }

    public static ModelConfig parse(JsonNode node, String source) {
        if (node == null || !node.isObject()) throw new OtfuseException(ExitCode.BAD_CONFIG, source + ": not a JSON object");
        ObjectNode o = (ObjectNode) node;
        JsonNode mt = o.get("model_type");
        if (mt == null || !mt.isTextual()) throw new OtfuseException(ExitCode.BAD_CONFIG, source + ": field 'model_type' is missing or not a string");
        switch (mt.asText()) {
            case "vit": return new VitConfig(o.deepCopy(), source);
            case "bert": return new BertConfig(o.deepCopy(), source);
            default:
                throw new OtfuseException(ExitCode.BAD_CONFIG, source + ": model_type \"" + mt.asText() + "\" is not supported (supported: vit, bert)");
        }
    }

    /** The JSON to write: the original fields with the typed ones set from this object. */
    public ObjectNode toJson() {
        ObjectNode o = raw.deepCopy();
        o.putArray("architectures").add(architecture());
        o.put("hidden_size", hiddenSize);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("intermediate_size", intermediateSize);
        o.put("layer_norm_eps", layerNormEps);
        o.put("hidden_act", hiddenAct);
        o.put("hidden_dropout_prob", hiddenDropoutProb);
        o.put("attention_probs_dropout_prob", attentionProbsDropoutProb);
        o.put("initializer_range", initializerRange);
        writeFamilyFields(o);
        return o;
    }

    protected abstract void writeFamilyFields(ObjectNode o);

    /** A copy with other widths (heterogeneous fusion writes the anchor's shapes). */
    public ModelConfig withWidths(int hidden, int intermediate, int heads) {
        ObjectNode o = toJson();
        o.put("hidden_size", hidden);
        o.put("intermediate_size", intermediate);
        o.put("num_attention_heads", heads);
        return parse(o, source);
    }

    /** A copy with one JSON field replaced. */
    public ModelConfig with(String field, JsonNode value) {
        ObjectNode o = toJson();
        o.set(field, value);
        return parse(o, source);
    }

    public void write(Path dir) {
        AtomicFiles.writeString(dir.resolve(FILE), WeightStore.prettyJson(toJson()));
    }

    public String source() {
        return source;
    }

    /** The fields every new HF config starts with. */
    static ObjectNode newConfig(String architecture, String modelType, int hidden, int layers, int heads, int mlp) {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add(architecture);
        o.put("model_type", modelType);
        o.put("hidden_size", hidden);
        o.put("num_hidden_layers", layers);
        o.put("num_attention_heads", heads);
        o.put("intermediate_size", mlp);
        o.put("hidden_act", "gelu");
        o.put("hidden_dropout_prob", 0.0);
        o.put("attention_probs_dropout_prob", 0.0);
        o.put("initializer_range", 0.02);
        o.put("layer_norm_eps", 1e-12);
        return o;
    }

    protected OtfuseException fieldError(String field, String what) {
        return new OtfuseException(ExitCode.BAD_CONFIG, source + ": field '" + field + "': " + what);
    }

    protected int positiveInt(String field, Integer dflt) {
        int v = integer(field, dflt);
        if (v <= 0) throw fieldError(field, "must be a positive integer, got " + v);
        return v;
    }

    protected int integer(String field, Integer dflt) {
        JsonNode v = raw.get(field);
        if (v == null || v.isNull()) {
            if (dflt == null) throw fieldError(field, "missing");
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw fieldError(field, "expected an integer, got " + v);
        return v.asInt();
    }

    protected double number(String field, double dflt) {
        JsonNode v = raw.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw fieldError(field, "expected a number, got " + v);
        return v.asDouble();
    }

    protected String text(String field, String dflt) {
        JsonNode v = raw.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual()) throw fieldError(field, "expected a string, got " + v);
        return v.asText();
    }

    protected boolean bool(String field, boolean dflt) {
        JsonNode v = raw.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw fieldError(field, "expected true or false, got " + v);
        return v.asBoolean();
    }
}
