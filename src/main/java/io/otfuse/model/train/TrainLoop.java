package io.otfuse.model.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.DType;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.SafetensorsWriter;
import io.otfuse.io.TensorEntry;
import io.otfuse.io.WeightStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The training loop shared by train and finetune: deterministic shuffling per (seed, epoch), AdamW with
 * warm-up + cosine, a progress bar (loss, throughput, ETA), evaluation and an atomic checkpoint after
 * every epoch with trainer_state.json and optimizer_state.safetensors so that --resume continues
 * exactly where the last finished epoch left off.
 */
public final class TrainLoop {
    public static final String STATE = "trainer_state.json";
    public static final String OPTIMIZER = "optimizer_state.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Task task;
    private final TrainOptions o;
    private final Path out;
    private final PrintStream log;
    private final ObjectNode meta;
    private boolean progress = true;

    public TrainLoop(Task task, TrainOptions o, Path out, PrintStream log, ObjectNode meta) {
        this.task = task;
        this.o = o;
        this.out = out;
        this.log = log;
        this.meta = meta;
    }

    public TrainLoop progress(boolean on) {
        this.progress = on;
        return this;
    }

    public static long stepsPerEpoch(int examples, int batch) {
        return (examples + batch - 1) / batch;
    }

    /** Reads trainer_state.json of an output folder (for --resume). */
    public static ObjectNode readState(Path dir) {
        Path f = dir.resolve(STATE);
        try {
            return (ObjectNode) JSON.readTree(Files.readAllBytes(f));
        } catch (IOException | ClassCastException e) {
            throw new OtfuseException(ExitCode.BAD_CHECKPOINT, f + ": cannot resume (" + e.getMessage() + ")");
        }
    }

    /** Runs the remaining epochs; {@code resumed} is the state to continue from, or null for a fresh start. */
    public ObjectNode run(ObjectNode resumed) {
        AdamW opt = new AdamW(task.params(), 0.9f, 0.999f, 1e-8f);
        long perEpoch = stepsPerEpoch(task.examples(), o.batch);
        long total = o.totalSteps(perEpoch);
        int epochs = o.epochCount();
        Schedule sched = new Schedule(o.lr, o.warmupSteps(total), total, o.schedule);
        long evalEvery = o.evalEvery > 0 ? Math.max(1, Math.round(o.evalEvery * perEpoch)) : 0;
        int startEpoch = 0;
        ArrayNode history;
        double seconds = 0;
        if (resumed != null) {
            startEpoch = resumed.path("epochs_done").asInt();
            history = (ArrayNode) resumed.withArray("history");
            seconds = resumed.path("train_seconds").asDouble();
            loadOptimizer(opt);
            opt.setStepCount(resumed.path("step").asLong());
            log.printf("resuming after epoch %d (step %d)%n", startEpoch, opt.stepCount());
        } else {
            history = JSON.createArrayNode();
        }
        task.params().requireGradients(true);
        NDManager root = task.params().manager();
        for (int epoch = startEpoch; epoch < epochs; epoch++) {
            long stepsThisEpoch = Math.min(perEpoch, total - (long) epoch * perEpoch);
            int[] perm = permutation(task.examples(), o.seed, epoch);
            Random aug = new Random(o.seed * 1_000_003L + epoch * 7919L + 17);
            long t0 = System.nanoTime();
            double lossSum = 0;
            long lossN = 0, units = 0;
            int skippedInEpoch = 0;
            ProgressBar pb = progress ? new ProgressBarBuilder().setTaskName(String.format("epoch %d/%d", epoch + 1, epochs))
                    .setInitialMax(Math.min(task.examples(), stepsThisEpoch * o.batch)).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(1000).setMaxRenderedLength(120)
                    .showSpeed().setUnit(" ex", 1).build() : null;
            try {
                for (int s = 0; s < stepsThisEpoch; s++) {
                    int from = s * o.batch, to = Math.min(task.examples(), from + o.batch);
                    int[] batch = java.util.Arrays.copyOfRange(perm, from, to);
                    float lr = sched.at(opt.stepCount());
                    float loss;
                    try (NDManager sm = root.newSubManager()) {
                        NDArray l;
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            l = task.loss(batch, aug, sm);
                            gc.backward(l);
                        }
                        loss = l.getFloat();
                        double gn = opt.step(lr, (float) o.weightDecay, (float) o.maxGradNorm, sm);
                        if (!Double.isFinite(gn)) {
                            skippedInEpoch++;
                            log.printf("warning: non-finite gradient norm at step %d (loss %s); update skipped%n", opt.stepCount(), l.getFloat());
                            if (skippedInEpoch > 20) throw new OtfuseException(ExitCode.NON_FINITE, "more than 20 non-finite gradients in epoch " + (epoch + 1) + " (lower --lr?)");
                            continue;
                        }
                    }
                    if (!Float.isFinite(loss)) throw new OtfuseException(ExitCode.NON_FINITE, "training loss became " + loss + " at step " + opt.stepCount() + " (lower --lr?)");
                    lossSum += loss;
                    lossN++;
                    units += task.units(batch);
                    if (pb != null) {
                        double el = (System.nanoTime() - t0) / 1e9;
                        pb.setExtraMessage(String.format("loss %.4f lr %.2e %.0f %s/s", lossSum / lossN, lr, units / el, task.unit()));
                        pb.stepBy(batch.length);
                    }
                    // not within half an interval of the epoch's own evaluation
                    if (evalEvery > 0 && 2 * (stepsThisEpoch - s - 1) >= evalEvery && ((long) epoch * perEpoch + s + 1) % evalEvery == 0) {
                        ObjectNode h = history.addObject();
                        h.put("epoch", ((long) epoch * perEpoch + s + 1) / (double) perEpoch);
                        h.put("step", opt.stepCount());
                        h.put("partial", true);
                        h.put("train_loss", lossSum / Math.max(1, lossN));
                        for (Map.Entry<String, Double> e : task.evaluate().entrySet()) h.put(e.getKey(), e.getValue());
                    }
                }
            } finally {
                if (pb != null) pb.close();
            }
            double trainSec = (System.nanoTime() - t0) / 1e9;
            seconds += trainSec;
            long e0 = System.nanoTime();
            Map<String, Double> ev = task.evaluate();
            double evalSec = (System.nanoTime() - e0) / 1e9;
            ObjectNode h = history.addObject();
            boolean partialEpoch = stepsThisEpoch < perEpoch;
            if (partialEpoch) h.put("epoch", ((long) epoch * perEpoch + stepsThisEpoch) / (double) perEpoch);
            else h.put("epoch", epoch + 1);
            h.put("step", opt.stepCount());
            h.put("train_loss", lossSum / lossN);
            h.put("skipped_steps", skippedInEpoch);
            for (Map.Entry<String, Double> e : ev.entrySet()) h.put(e.getKey(), e.getValue());
            h.put("train_seconds", trainSec);
            h.put("eval_seconds", evalSec);
            h.put("throughput", units / trainSec);
            // the engine's actual intra-op thread count: same-seed byte identity is promised for a fixed count
            h.put("engine_threads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
            StringBuilder line = new StringBuilder(String.format("epoch %d/%d  train loss %.4f", epoch + 1, epochs, lossSum / lossN));
            for (Map.Entry<String, Double> e : ev.entrySet()) line.append(String.format("  %s %.4f", e.getKey(), e.getValue()));
            line.append(String.format("  %.1f s  %.0f %s/s", trainSec, units / trainSec, task.unit()));
            log.println(line);
            ObjectNode state = JSON.createObjectNode();
            if (meta != null) state.setAll(meta);
            o.toJson(state.putObject("options"));
            state.put("epochs_done", epoch + 1);
            state.put("step", opt.stepCount());
            state.put("train_seconds", seconds);
            state.set("history", history);
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put(STATE, (state.toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8));
            files.put(OPTIMIZER, optimizerBytes(opt));
            task.save(out, files);
            if (epoch + 1 == epochs || epoch + 1 == o.stopAfter) return state;
        }
        return resumed;
    }

    /** A permutation of 0..n-1 that depends only on (seed, epoch). */
    public static int[] permutation(int n, long seed, int epoch) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Random r = new Random(seed * 31 + epoch + 1);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private byte[] optimizerBytes(AdamW opt) {
        List<TensorEntry> es = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : opt.firstMoments().entrySet()) {
            es.add(TensorEntry.ofFloats("exp_avg." + e.getKey(), e.getValue().getShape().getShape(), e.getValue().toFloatArray(), DType.F32));
        }
        for (Map.Entry<String, NDArray> e : opt.secondMoments().entrySet()) {
            es.add(TensorEntry.ofFloats("exp_avg_sq." + e.getKey(), e.getValue().getShape().getShape(), e.getValue().toFloatArray(), DType.F32));
        }
        try {
            Path tmp = Files.createTempFile("otfuse-opt", ".safetensors");
            try {
                SafetensorsWriter.write(tmp, es, Map.of("step", Long.toString(opt.stepCount())));
                return Files.readAllBytes(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, "writing the optimizer state failed: " + e.getMessage(), e);
        }
    }

    private void loadOptimizer(AdamW opt) {
        Path f = out.resolve(OPTIMIZER);
        if (!Files.isRegularFile(f)) throw new OtfuseException(ExitCode.BAD_CHECKPOINT, f + ": missing; cannot resume");
        try (WeightStore ws = WeightStore.open(f)) {
            for (Map.Entry<String, NDArray> e : opt.firstMoments().entrySet()) set(e.getValue(), ws.readFloats("exp_avg." + e.getKey()));
            for (Map.Entry<String, NDArray> e : opt.secondMoments().entrySet()) set(e.getValue(), ws.readFloats("exp_avg_sq." + e.getKey()));
        }
    }

    /** Copies values into an existing array in place (no NDArray.set(Buffer), which re-points storage). */
    private static void set(NDArray a, float[] v) {
        try (NDManager t = a.getManager().newSubManager()) {
            a.muli(0).addi(t.create(v, a.getShape()));
        }
    }

    /** Unused helper kept for callers that want to open the output as a checkpoint. */
    static Checkpoint open(Path dir) {
        return Checkpoint.open(dir);
    }

    static JsonNode parse(byte[] b) throws IOException {
        return JSON.readTree(b);
    }
}
