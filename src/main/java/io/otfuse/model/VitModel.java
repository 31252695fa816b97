package io.otfuse.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.VitConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face {@code ViTForImageClassification} on DJL: conv patch embedding (computed as the
 * equivalent patch-flatten + linear), cls token, learned position embeddings, pre-LN encoder layers
 * with exact GELU, final LayerNorm and a classifier on token 0. Parameter names and shapes are HF's.
 */
public final class VitModel implements AutoCloseable {
    private final VitConfig config;
    private final Params params;
    private final float eps;
    private float hiddenDropout;
    private float attentionDropout;
    private final LayerNames[] layerNames;

    public VitModel(Params params) {
        if (!(params.config() instanceof VitConfig c)) throw new IllegalArgumentException("not a ViT config");
        this.config = c;
        this.params = params;
        this.eps = (float) c.layerNormEps;
        this.hiddenDropout = (float) c.hiddenDropoutProb;
        this.attentionDropout = (float) c.attentionProbsDropoutProb;
        layerNames = new LayerNames[c.numHiddenLayers];
        for (int i = 0; i < layerNames.length; i++) layerNames[i] = LayerNames.vit(i);
    }

    /** Loads a ViT checkpoint folder (already opened and validated). */
    public static VitModel load(Checkpoint ckpt, NDManager manager) {
        if (!(ckpt.config() instanceof VitConfig)) {
            throw new io.otfuse.io.OtfuseException(io.otfuse.io.ExitCode.BAD_CHECKPOINT, ckpt.dir() + ": not a ViT checkpoint (model_type is not vit)");
        }
        return new VitModel(Params.load(ckpt, manager));
    }

    public VitConfig config() {
        return config;
    }

    public Params params() {
        return params;
    }

    /** Overrides the config's dropout rates (used only when forward is called with training = true). */
    public void setDropout(float hidden, float attention) {
        this.hiddenDropout = hidden;
        this.attentionDropout = attention;
    }

    /** Inference forward: images [B, C, H, W] float32 (already normalised) → logits [B, classes]. */
    public NDArray forward(NDArray images, Taps taps) {
        return forward(images, taps, false);
    }

    /**
     * Forward pass. Intermediates and the result belong to {@code images}' manager. When {@code taps} is
     * non-null and active, outputs of the selected modules are recorded as per-sample [tokens, width].
     */
    public NDArray forward(NDArray images, Taps taps, boolean training) {
        Taps t = taps != null && taps.active() ? taps : null;
        NDManager m = images.getManager();
        long[] s = images.getShape().getShape();
        if (s.length != 4 || s[1] != config.numChannels || s[2] != config.imageSize || s[3] != config.imageSize) {
            throw new IllegalArgumentException("expected images [B, " + config.numChannels + ", " + config.imageSize + ", "
                    + config.imageSize + "], got " + images.getShape());
        }
        long b = s[0];
        int p = config.patchSize, g = config.gridSize(), c = config.numChannels, d = config.hiddenSize;
        // Conv2d(kernel = stride = p) as a linear map on flattened patches (same arithmetic, no im2col)
        NDArray patches = images.reshape(b, c, g, p, g, p).transpose(0, 2, 4, 1, 3, 5).reshape(b, (long) g * g, (long) c * p * p);
        NDArray w = own(params.get("vit.embeddings.patch_embeddings.projection.weight").reshape(d, (long) c * p * p), m);
        NDArray x = Ops.linear(patches, w, params.get("vit.embeddings.patch_embeddings.projection.bias"));
        if (t != null) {
            t.record("vit.embeddings.patch_embeddings.projection", x);
            t.record("vit.embeddings.patch_embeddings", x);
        }
        NDArray cls = own(params.get("vit.embeddings.cls_token").broadcast(b, 1, d), m);
        x = NDArrays.concat(new NDList(cls, x), 1).add(params.get("vit.embeddings.position_embeddings"));
        x = Ops.dropout(x, hiddenDropout, training);
        if (t != null) t.record("vit.embeddings", x);
        for (LayerNames n : layerNames) {
            NDArray in = x;
            x = Ops.layer(training, () -> layer(n, in, t, training, m));
        }
        if (t != null) t.record("vit.encoder", x);
        x = Ops.layerNorm(x, params.get("vit.layernorm.weight"), params.get("vit.layernorm.bias"), eps);
        if (t != null) t.record("vit.layernorm", x);
        NDArray clsOut = x.get(new NDIndex(":, 0, :"));
        NDArray logits = Ops.linear(clsOut, params.get("classifier.weight"), params.get("classifier.bias"));
        if (t != null) t.record("classifier", logits);
        return logits;
    }

    private NDArray layer(LayerNames n, NDArray x, Taps t, boolean training, NDManager m) {
        NDArray h = Ops.layerNorm(x, params.get(n.ln1w), params.get(n.ln1b), eps);
        if (t != null) t.record(n.ln1, h);
        NDArray a = Ops.selfAttention(params, n, h, null, config.numAttentionHeads, attentionDropout, hiddenDropout, training, t, m);
        if (t != null) {
            t.record(n.attnOut, a);
            t.record(n.attention, a);
        }
        NDArray r = a.add(x);
        NDArray h2 = Ops.layerNorm(r, params.get(n.ln2w), params.get(n.ln2b), eps);
        if (t != null) t.record(n.ln2, h2);
        NDArray y = Ops.mlp(params, n, h2, hiddenDropout, training, t).add(r);
        if (t != null) {
            t.record(n.out, y);
            t.record(n.layer, y);
        }
        return y;
    }

    private static NDArray own(NDArray a, NDManager m) {
        return Ops.own(a, m);
    }

    /** Parameter values by HF name, in HF order. */
    public Map<String, float[]> stateDict() {
        return params.stateDict();
    }

    /** Writes a checkpoint folder (config.json, model.safetensors, companions such as preprocessor_config.json). */
    public Path save(Path dir, boolean force, List<Path> companions, Map<String, byte[]> files) {
        return params.save(dir, force, companions, files);
    }

    @Override
    public void close() {
        params.close();
    }
}
