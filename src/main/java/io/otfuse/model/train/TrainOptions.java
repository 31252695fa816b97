package io.otfuse.model.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Training hyper-parameters (also recorded in trainer_state.json so that --resume continues the same run). */
public final class TrainOptions {
    public long seed = 0;
    public int epochs = 12;
    public int batch = 128;
    public double lr = 1e-3;
    /** Warm-up: a number ≥ 1 is steps, below 1 a fraction of all steps. */
    public double warmup = 0.05;
    public double weightDecay = 0.05;
    public double labelSmoothing = 0.0;
    public double maxGradNorm = 1.0;
    public int limit = 0;
    public int evalLimit = 0;
    public int cropPad = 0;
    public boolean flip = false;
    public double dropout = 0.0;
    public double maskProb = 0.15;
    /** Training length in epochs when fractional (e.g. 1.5); 0 = {@link #epochs}. The last epoch stops early. */
    public double budget = 0;
    /** Learning-rate schedule after warm-up: cosine (to 0), linear (to 0) or constant. */
    public String schedule = "cosine";
    /** Extra test evaluations inside an epoch, every this fraction of an epoch (0 = only at the end of each epoch). */
    public double evalEvery = 0;
    /** Not recorded: stop after this many epochs (simulated interruption); 0 = run all. */
    public int stopAfter = 0;

    public ObjectNode toJson(ObjectNode o) {
        o.put("seed", seed);
        o.put("epochs", epochs);
        o.put("batch", batch);
        o.put("lr", lr);
        o.put("warmup", warmup);
        o.put("weight_decay", weightDecay);
        o.put("label_smoothing", labelSmoothing);
        o.put("max_grad_norm", maxGradNorm);
        o.put("limit", limit);
        o.put("eval_limit", evalLimit);
        o.put("crop_pad", cropPad);
        o.put("flip", flip);
        o.put("dropout", dropout);
        o.put("mask_prob", maskProb);
        // written only when set, so states of plain runs keep their fields
        if (budget > 0) o.put("budget", budget);
        if (!schedule.equals("cosine")) o.put("schedule", schedule);
        if (evalEvery > 0) o.put("eval_every", evalEvery);
        return o;
    }

    public static TrainOptions fromJson(JsonNode o) {
        TrainOptions t = new TrainOptions();
        t.seed = o.path("seed").asLong(t.seed);
        t.epochs = o.path("epochs").asInt(t.epochs);
        t.batch = o.path("batch").asInt(t.batch);
        t.lr = o.path("lr").asDouble(t.lr);
        t.warmup = o.path("warmup").asDouble(t.warmup);
        t.weightDecay = o.path("weight_decay").asDouble(t.weightDecay);
        t.labelSmoothing = o.path("label_smoothing").asDouble(t.labelSmoothing);
        t.maxGradNorm = o.path("max_grad_norm").asDouble(t.maxGradNorm);
        t.limit = o.path("limit").asInt(t.limit);
        t.evalLimit = o.path("eval_limit").asInt(t.evalLimit);
        t.cropPad = o.path("crop_pad").asInt(t.cropPad);
        t.flip = o.path("flip").asBoolean(t.flip);
        t.dropout = o.path("dropout").asDouble(t.dropout);
        t.maskProb = o.path("mask_prob").asDouble(t.maskProb);
        t.budget = o.path("budget").asDouble(t.budget);
        t.schedule = o.path("schedule").asText(t.schedule);
        t.evalEvery = o.path("eval_every").asDouble(t.evalEvery);
        return t;
    }

    /**
     * Turns these (parent) options into a finetune's: {@code budget} epochs (fractional: the last epoch stops early) at
     * learning rate {@code lr} with {@code schedule} and {@code warmup}, evaluated every {@code evalEvery} of an epoch.
     */
    public TrainOptions finetune(double budget, double lr, String schedule, double warmup, double evalEvery) {
        this.epochs = (int) Math.ceil(budget - 1e-9);
        this.budget = budget;
        this.lr = lr;
        this.schedule = schedule;
        this.warmup = warmup;
        this.evalEvery = evalEvery;
        return this;
    }

    /** Epochs the loop runs: {@link #epochs}, or the budget rounded up. */
    public int epochCount() {
        return budget > 0 ? (int) Math.ceil(budget - 1e-9) : epochs;
    }

    /** Optimizer steps of the whole run for {@code perEpoch} steps per epoch. */
    public long totalSteps(long perEpoch) {
        return budget > 0 ? Math.max(1, Math.round(budget * perEpoch)) : perEpoch * epochs;
    }

    public long warmupSteps(long total) {
        return warmup >= 1 ? (long) warmup : Math.round(warmup * total);
    }
}
