package io.otfuse.cli;

import ai.djl.ndarray.NDManager;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.VitConfig;
import io.otfuse.model.VitModel;
import io.otfuse.model.data.ImageData;
import io.otfuse.model.data.ImageSet;
import io.otfuse.model.data.Npy;
import io.otfuse.model.data.Preprocessor;
import io.otfuse.model.train.Eval;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Write the ViT logits of the first N images as a float32 [N, classes] .npy file.")
public class PredictCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "ViT checkpoint folder")
    Path dir;
    @Option(names = "--data", description = "fashion-mnist (default), IDX/CIFAR folder, cifar10:DIR, cifar100:DIR; @train or @test (default @test)")
    String data = "fashion-mnist";
    @Option(names = "--limit", required = true, description = "Number of images")
    int limit;
    @Option(names = "--out", required = true, description = "Output .npy file")
    Path out;
    @Option(names = "--threads", description = "PyTorch intra-op threads")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        ModelCommands.threads(threads);
        ModelCommands.positive("--limit", limit);
        try (Checkpoint ck = Checkpoint.open(dir); NDManager m = NDManager.newBaseManager()) {
            if (!(ck.config() instanceof VitConfig vc)) throw new OtfuseException(ExitCode.USAGE, dir + ": predict supports ViT checkpoints only");
            ImageSet set = ImageData.load(data, "test").limit(limit);
            Preprocessor pre = Preprocessor.read(dir, vc.numChannels, vc.imageSize);
            try (VitModel model = VitModel.load(ck, m)) {
                float[] logits = Eval.vitLogits(model, set, pre, 256, limit);
                Npy.write(out, logits, set.size(), vc.numLabels);
                System.out.printf("wrote %s: float32 [%d, %d]%n", out, set.size(), vc.numLabels);
            }
        }
        return 0;
    }
}
