package io.otfuse.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.VitConfig;
import io.otfuse.model.VitModel;
import io.otfuse.model.data.ImageData;
import io.otfuse.model.data.ImageSet;
import io.otfuse.model.data.Preprocessor;
import io.otfuse.model.train.BertEval;
import io.otfuse.model.train.Eval;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a checkpoint: ViT test accuracy and loss; BERT masked-LM loss and perplexity on held-out text.")
public class EvalCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "Checkpoint folder")
    Path dir;
    @Option(names = "--data", description = "ViT: fashion-mnist (default), IDX/CIFAR folder, cifar10:DIR, cifar100:DIR, with @train or @test (default @test). BERT: wordnet (validation split, default), wordnet@train, or a text file")
    String data;
    @Option(names = "--limit", description = "First N examples only (0 = all)")
    int limit = 0;
    @Option(names = "--batch", description = "Batch size. Default: ${DEFAULT-VALUE}")
    int batch = 256;
    @Option(names = "--seed", description = "BERT: masking seed (the same seed gives the same masked positions). Default: ${DEFAULT-VALUE}")
    long seed = 1234;
    @Option(names = "--json", description = "Print one JSON object")
    boolean json;
    @Option(names = "--threads", description = "PyTorch intra-op threads")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        ModelCommands.threads(threads);
        ObjectNode r = new ObjectMapper().createObjectNode();
        try (Checkpoint ck = Checkpoint.open(dir); NDManager m = NDManager.newBaseManager()) {
            r.put("checkpoint", dir.toString());
            if (ck.config() instanceof VitConfig vc) {
                String spec = data == null ? "fashion-mnist" : data;
                ImageSet set = ImageData.load(spec, "test");
                Preprocessor pre = Preprocessor.read(dir, vc.numChannels, vc.imageSize);
                try (VitModel model = VitModel.load(ck, m)) {
                    long t0 = System.nanoTime();
                    Eval.Result e = Eval.vit(model, set, pre, batch, limit);
                    r.put("data", set.name());
                    r.put("examples", e.n());
                    r.put("accuracy", e.accuracy());
                    r.put("loss", e.loss());
                    r.put("seconds", (System.nanoTime() - t0) / 1e9);
                }
                if (!json) System.out.printf("%s on %s (%d images): accuracy %.2f %%  loss %.4f%n", dir, r.get("data").asText(), r.get("examples").asLong(),
                        100 * r.get("accuracy").asDouble(), r.get("loss").asDouble());
            } else {
                String spec = data == null ? "wordnet" : data;
                BertEval.Result e = BertEval.evaluate(ck, m, spec, limit, batch, seed);
                r.put("data", spec);
                r.put("sequences", e.sequences());
                r.put("masked_tokens", e.masked());
                r.put("mlm_loss", e.loss());
                r.put("perplexity", Math.exp(e.loss()));
                r.put("mlm_accuracy", e.accuracy());
                r.put("unigram_perplexity", e.unigramPerplexity());
                if (!json) System.out.printf("%s on %s (%d sequences, %d masked tokens): MLM loss %.4f  perplexity %.2f  accuracy %.2f %%  (unigram baseline perplexity %.1f)%n",
                        dir, spec, e.sequences(), e.masked(), e.loss(), Math.exp(e.loss()), 100 * e.accuracy(), e.unigramPerplexity());
            }
        }
        if (json) System.out.println(r.toString());
        return 0;
    }
}
