package io.otfuse.reproduce;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.io.AtomicFiles;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.ExitCode;
import io.otfuse.io.HfLayout;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.VitConfig;
import io.otfuse.model.VitModel;
import io.otfuse.model.data.ImageSet;
import io.otfuse.model.data.Preprocessor;
import io.otfuse.model.train.BertEval;
import io.otfuse.model.train.Eval;
import io.otfuse.model.train.TrainLoop;
import io.otfuse.model.train.TrainOptions;
import io.otfuse.model.train.Training;
import io.otfuse.report.TrainingCurve;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Training (resumable), evaluation and parent look-up shared by the studies. */
final class Models {
    private Models() {}

    /** A ViT evaluated on a test set: accuracy, mean cross-entropy, parameter count, logits [sample][class]. */
    record Scored(double accuracy, double loss, long params, float[][] logits) {
        ObjectNode json(Path dir) {
            ObjectNode n = Steps.JSON.createObjectNode();
            if (dir != null) n.put("dir", dir.toString());
            n.put("accuracy", accuracy).put("loss", loss).put("params", params);
            return n;
        }
    }

    static Scored evalVit(Path dir, ImageSet test) {
        try (Checkpoint ck = Checkpoint.open(dir); NDManager m = NDManager.newBaseManager(); VitModel model = VitModel.load(ck, m)) {
            VitConfig vc = (VitConfig) ck.config();
            Preprocessor pre = Preprocessor.read(dir, vc.numChannels, vc.imageSize);
            float[] flat = Eval.vitLogits(model, test, pre, 500, 0);
            int c = vc.numLabels;
            float[][] lg = new float[test.size()][c];
            for (int i = 0; i < lg.length; i++) System.arraycopy(flat, i * c, lg[i], 0, c);
            return score(lg, test.labels(), paramCount(ck.config()));
        }
    }

    static Scored score(float[][] logits, int[] labels, long params) {
        long ok = 0;
        double loss = 0;
        for (int i = 0; i < logits.length; i++) {
            float[] l = logits[i];
            int b = 0;
            double mx = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < l.length; k++) {
                if (l[k] > l[b]) b = k;
                mx = Math.max(mx, l[k]);
            }
            double z = 0;
            for (float v : l) z += Math.exp(v - mx);
            loss += mx + Math.log(z) - l[labels[i]];
            if (b == labels[i]) ok++;
        }
        return new Scored((double) ok / logits.length, loss / logits.length, params, logits);
    }

    static long paramCount(ModelConfig c) {
        long n = 0;
        for (long[] shape : HfLayout.expected(c).values()) {
            long p = 1;
            for (long d : shape) p *= d;
            n += p;
        }
        return n;
    }

    static long paramCount(Path dir) {
        try (Checkpoint ck = Checkpoint.open(dir)) {
            return paramCount(ck.config());
        }
    }

    /** Masked-LM validation loss, perplexity and accuracy of a BERT checkpoint (fixed masking seed). */
    static ObjectNode evalBert(Path dir, String data, int limit) {
        try (Checkpoint ck = Checkpoint.open(dir); NDManager m = NDManager.newBaseManager()) {
            BertEval.Result r = BertEval.evaluate(ck, m, data, limit, 64, BertEval.EVAL_SEED);
            ObjectNode n = Steps.JSON.createObjectNode();
            n.put("dir", dir.toString()).put("loss", r.loss()).put("perplexity", Math.exp(r.loss())).put("mlm_accuracy", r.accuracy())
                    .put("params", paramCount(ck.config())).put("masked", r.masked());
            return n;
        }
    }

    /**
     * Trains (from {@code shape}, or from the checkpoint {@code start}) into {@code dir} unless a finished run is there;
     * an interrupted run is resumed from its last epoch. Returns the trainer state.
     */
    static ObjectNode train(boolean bert, Object shape, Path start, String data, TrainOptions o, Path dir, boolean progress, PrintStream log) {
        if (Files.isRegularFile(dir.resolve(TrainLoop.STATE))) {
            ObjectNode st = TrainLoop.readState(dir);
            TrainOptions was = TrainOptions.fromJson(st.path("options"));
            if (st.path("epochs_done").asInt() >= was.epochCount()) {
                log.printf("  reusing finished run %s%n", dir);
                return st;
            }
            log.printf("  resuming %s after epoch %d%n", dir, st.path("epochs_done").asInt());
            return bert ? Training.trainBert(null, Checkpoint.open(dir), data, was, dir, st, progress, log)
                    : Training.trainVit(null, Checkpoint.open(dir), data, was, dir, st, progress, log);
        }
        if (Files.exists(dir)) AtomicFiles.deleteTree(dir); // a run killed before its first epoch finished
        try {
            Files.createDirectories(dir.getParent());
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, dir.getParent() + ": cannot create (" + e.getMessage() + ")", e);
        }
        Checkpoint ck = start == null ? null : Checkpoint.open(start);
        return bert ? Training.trainBert((Training.BertShape) shape, ck, data, o, dir, null, progress, log)
                : Training.trainVit((Training.VitShape) shape, ck, data, o, dir, null, progress, log);
    }

    /**
     * Checks that a parent folder was trained with the recipe: same architecture and the same training options
     * (seed aside), all epochs done. Returns null when it matches, else the reason.
     */
    static String recipeMismatch(Path dir, Map<String, Integer> shape, TrainOptions recipe, long seed) {
        if (!Files.isRegularFile(dir.resolve(TrainLoop.STATE))) return "no " + TrainLoop.STATE;
        if (!Files.isRegularFile(dir.resolve("model.safetensors")) && !Files.isRegularFile(dir.resolve("model.safetensors.index.json"))) {
            return "no model.safetensors";
        }
        ObjectNode st = TrainLoop.readState(dir);
        TrainOptions o = TrainOptions.fromJson(st.path("options"));
        if (st.path("epochs_done").asInt() < o.epochCount()) {
            return "unfinished: " + st.path("epochs_done").asInt() + " of " + o.epochCount() + " epochs";
        }
        ObjectNode want = recipe.toJson(Steps.JSON.createObjectNode());
        ObjectNode got = o.toJson(Steps.JSON.createObjectNode());
        want.put("seed", seed);
        for (String k : new String[] {"eval_limit"}) {
            want.remove(k);
            got.remove(k);
        }
        if (!want.equals(got)) return "trained with " + got + ", the recipe is " + want;
        try (Checkpoint ck = Checkpoint.open(dir)) {
            ModelConfig c = ck.config();
            int hidden = c.hiddenSize, layers = c.numHiddenLayers, heads = c.numAttentionHeads, mlp = c.intermediateSize;
            Map<String, Integer> has = Map.of("hidden", hidden, "layers", layers, "heads", heads, "mlp", mlp);
            for (Map.Entry<String, Integer> e : shape.entrySet()) {
                if (!e.getValue().equals(has.get(e.getKey()))) return e.getKey() + " is " + has.get(e.getKey()) + ", the recipe says " + e.getValue();
            }
        }
        return null;
    }

    /** {@code {"epochs": [...], metric: [...]}} of a run's history, with an optional starting point at epoch 0. */
    static ObjectNode curve(Path dir, double startAccuracy, String... metrics) {
        TrainingCurve c = TrainingCurve.fromTrainerState(dir);
        ObjectNode n = Steps.JSON.createObjectNode();
        ArrayNode ep = n.putArray("epochs");
        boolean start = Double.isFinite(startAccuracy);
        if (start) ep.add(0.0);
        for (double e : c.epochs()) ep.add(e);
        for (String m : metrics) {
            double[] v = c.metric(m);
            ArrayNode a = n.putArray(m);
            if (start) {
                if (m.equals("test_accuracy")) a.add(startAccuracy);
                else a.addNull();
            }
            for (int i = 0; i < c.epochs().length; i++) {
                if (v == null || !Double.isFinite(v[i])) a.addNull();
                else a.add(v[i]);
            }
        }
        return n;
    }

    static double[][] curveXY(JsonNode curve, String metric) {
        JsonNode e = curve.path("epochs"), v = curve.path(metric);
        double[][] xy = new double[2][e.size()];
        for (int i = 0; i < e.size(); i++) {
            xy[0][i] = e.get(i).asDouble();
            xy[1][i] = v.path(i).isNumber() ? v.get(i).asDouble() * (metric.contains("accuracy") ? 100 : 1) : Double.NaN;
        }
        return xy;
    }
}
