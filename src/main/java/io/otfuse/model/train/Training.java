package io.otfuse.model.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.VitConfig;
import io.otfuse.model.Params;
import io.otfuse.model.VitModel;
import io.otfuse.model.data.ImageData;
import io.otfuse.model.data.ImageSet;
import io.otfuse.model.data.Preprocessor;
import java.io.PrintStream;
import java.nio.file.Path;

/** Entry points of train / finetune for both families. */
public final class Training {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Training() {}

    public record VitShape(int hidden, int layers, int heads, int mlp, int patch) {}

    public record BertShape(int hidden, int layers, int heads, int mlp, int vocab, int maxLen) {}

    static void seedEngine(long seed) {
        Engine.getInstance().setRandomSeed((int) (seed ^ (seed >>> 32)));
    }

    /**
     * Trains a ViT: from scratch ({@code shape} given) or from {@code start} (finetune / resume). The
     * checkpoint is closed by this method.
     */
    public static ObjectNode trainVit(VitShape shape, Checkpoint start, String spec, TrainOptions o, Path out, ObjectNode resumed,
                                      boolean progress, PrintStream log) {
        ImageSet train = ImageData.load(spec, "train").limit(o.limit);
        ImageSet test = ImageData.load(spec.contains("@") ? spec.substring(0, spec.lastIndexOf('@')) : spec, "test").limit(o.evalLimit);
        seedEngine(o.seed);
        try (NDManager root = NDManager.newBaseManager()) {
            VitModel model;
            Preprocessor pre;
            ObjectNode meta = JSON.createObjectNode();
            meta.put("kind", "vit");
            meta.put("data", spec);
            if (start == null) {
                if (train.height() != train.width()) throw new OtfuseException(ExitCode.DATA, spec + ": images are " + train.height() + "x" + train.width() + "; ViT needs square images");
                if (train.height() % shape.patch() != 0) {
                    throw new OtfuseException(ExitCode.USAGE, "--patch " + shape.patch() + " does not divide the image size " + train.height());
                }
                if (shape.hidden() % shape.heads() != 0) throw new OtfuseException(ExitCode.USAGE, "--hidden " + shape.hidden() + " is not divisible by --heads " + shape.heads());
                VitConfig cfg = VitConfig.create(shape.hidden(), shape.layers(), shape.heads(), shape.mlp(), train.height(), shape.patch(), train.channels(),
                        train.classes());
                model = new VitModel(Params.init(cfg, o.seed, root));
                pre = Preprocessor.fit(ImageData.load(spec, "train"));
            } else {
                try (start) {
                    model = VitModel.load(start, root);
                    pre = Preprocessor.read(start.dir(), model.config().numChannels, model.config().imageSize);
                    if (resumed == null) meta.put("finetuned_from", start.dir().toAbsolutePath().toString());
                    else if (resumed.has("finetuned_from")) meta.put("finetuned_from", resumed.get("finetuned_from").asText());
                }
                VitConfig c = model.config();
                if (c.numChannels != train.channels() || c.imageSize != train.height()) {
                    throw new OtfuseException(ExitCode.DATA, spec + ": images are " + train.channels() + "x" + train.height() + "x" + train.width()
                            + " but the model expects " + c.numChannels + "x" + c.imageSize + "x" + c.imageSize);
                }
            }
            log.printf("ViT: hidden %d, %d layers, %d heads, MLP %d, patch %d, %d parameters; %d training images (%s), %d test images%n",
                    model.config().hiddenSize, model.config().numHiddenLayers, model.config().numAttentionHeads, model.config().intermediateSize,
                    model.config().patchSize, model.params().parameterCount(), train.size(), spec, test.size());
            VitTask task = new VitTask(model, train, test, pre, o);
            return new TrainLoop(task, o, out, log, meta).progress(progress).run(resumed);
        }
    }

    public static ObjectNode trainBert(BertShape shape, Checkpoint start, String spec, TrainOptions o, Path out, ObjectNode resumed,
                                       boolean progress, PrintStream log) {
        return BertTraining.train(shape, start, spec, o, out, resumed, progress, log);
    }
}
