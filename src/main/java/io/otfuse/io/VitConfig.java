package io.otfuse.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** HF {@code ViTForImageClassification} configuration ({@code model_type: "vit"}). */
public final class VitConfig extends ModelConfig {
    public final int imageSize;
    public final int patchSize;
    public final int numChannels;
    public final boolean qkvBias;
    public final int numLabels;
    /** Class names by index (from id2label, or "LABEL_i"). */
    public final List<String> labels;

    VitConfig(ObjectNode raw, String source) {
        super(raw, source);
        imageSize = positiveInt("image_size", 224);
        patchSize = positiveInt("patch_size", 16);
        numChannels = positiveInt("num_channels", 3);
        qkvBias = bool("qkv_bias", true);
        if (imageSize % patchSize != 0) throw fieldError("patch_size", "image_size " + imageSize + " is not divisible by patch_size " + patchSize);
        if (!qkvBias) throw fieldError("qkv_bias", "only qkv_bias=true is supported");
        JsonNode id2label = raw.get("id2label");
        List<String> names = new ArrayList<>();
        if (id2label != null && !id2label.isNull()) {
            if (!id2label.isObject()) throw fieldError("id2label", "expected an object");
            int n = id2label.size();
            for (int i = 0; i < n; i++) {
                JsonNode v = id2label.get(Integer.toString(i));
                if (v == null || !v.isTextual()) throw fieldError("id2label", "expected keys \"0\".. \"" + (n - 1) + "\" with string names");
                names.add(v.asText());
            }
        }
        int declared = raw.has("num_labels") ? positiveInt("num_labels", null) : names.size();
        if (declared == 0) declared = 2; // HF default
        if (!names.isEmpty() && names.size() != declared) throw fieldError("num_labels", declared + " disagrees with id2label's " + names.size() + " entries");
        numLabels = declared;
        if (names.isEmpty()) for (int i = 0; i < numLabels; i++) names.add("LABEL_" + i);
        labels = List.copyOf(names);
    }

    @Override
    public Family family() {
        return Family.VIT;
    }

    @Override
    public String architecture() {
        return "ViTForImageClassification";
    }

    public int gridSize() {
        return imageSize / patchSize;
    }

    public int numPatches() {
        return gridSize() * gridSize();
    }

    public int seqLength() {
        return numPatches() + 1;
    }

    @Override
    protected void writeFamilyFields(ObjectNode o) {
        o.put("model_type", "vit");
        o.put("image_size", imageSize);
        o.put("patch_size", patchSize);
        o.put("num_channels", numChannels);
        o.put("qkv_bias", qkvBias);
        o.remove("num_labels");
        ObjectNode id2 = o.putObject("id2label");
        ObjectNode l2i = o.putObject("label2id");
        for (int i = 0; i < labels.size(); i++) {
            id2.put(Integer.toString(i), labels.get(i));
            l2i.put(labels.get(i), i);
        }
    }

    /** A new ViT configuration in HF form. */
    public static VitConfig create(int hidden, int layers, int heads, int mlp, int imageSize, int patchSize,
                                   int channels, List<String> labels) {
        ObjectNode o = newConfig("ViTForImageClassification", "vit", hidden, layers, heads, mlp);
        o.put("image_size", imageSize);
        o.put("patch_size", patchSize);
        o.put("num_channels", channels);
        o.put("qkv_bias", true);
        ObjectNode id2 = o.putObject("id2label");
        for (int i = 0; i < labels.size(); i++) id2.put(Integer.toString(i), labels.get(i));
        o.put("torch_dtype", "float32");
        return new VitConfig(o, "<new vit config>");
    }
}
