package io.otfuse.model.train;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.io.BertConfig;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.model.BertModel;
import io.otfuse.model.Params;
import io.otfuse.model.text.Corpus;
import io.otfuse.model.text.MlmData;
import io.otfuse.model.text.WordPiece;
import io.otfuse.model.text.WordPieceTrainer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

final class BertTraining {
    private BertTraining() {}

    static ObjectNode train(Training.BertShape shape, Checkpoint start, String spec, TrainOptions o, Path out, ObjectNode resumed, boolean progress,
                            PrintStream log) {
        List<String> trainText = Corpus.load(spec, "train");
        String base = spec.contains("@") ? spec.substring(0, spec.lastIndexOf('@')) : spec;
        List<String> valText = Corpus.load(base, "validation");
        Training.seedEngine(o.seed);
        ObjectNode meta = new ObjectMapper().createObjectNode();
        meta.put("kind", "bert");
        meta.put("data", spec);
        try (NDManager root = NDManager.newBaseManager()) {
            BertModel model;
            WordPiece wp;
            if (start == null) {
                if (shape.hidden() % shape.heads() != 0) throw new OtfuseException(ExitCode.USAGE, "--hidden " + shape.hidden() + " is not divisible by --heads " + shape.heads());
                if (shape.vocab() <= WordPiece.SPECIALS.size() + 50) throw new OtfuseException(ExitCode.USAGE, "--vocab-size must exceed 55");
                long t0 = System.nanoTime();
                wp = WordPieceTrainer.train(trainText, shape.vocab(), 2);
                log.printf("WordPiece vocabulary: %d tokens from %d passages (%.1f s)%n", wp.size(), trainText.size(), (System.nanoTime() - t0) / 1e9);
                BertConfig cfg = BertConfig.create(shape.hidden(), shape.layers(), shape.heads(), shape.mlp(), wp.size(), shape.maxLen());
                model = new BertModel(Params.init(cfg, o.seed, root));
            } else {
                try (start) {
                    Path vocab = start.dir().resolve("vocab.txt");
                    if (!Files.isRegularFile(vocab)) throw new OtfuseException(ExitCode.BAD_CHECKPOINT, vocab + ": missing (a BERT checkpoint needs its tokenizer)");
                    wp = WordPiece.readVocab(vocab);
                    model = BertModel.load(start, root);
                    if (resumed == null) meta.put("finetuned_from", start.dir().toAbsolutePath().toString());
                    else if (resumed.has("finetuned_from")) meta.put("finetuned_from", resumed.get("finetuned_from").asText());
                }
            }
            int maxLen = model.config().maxPositionEmbeddings;
            MlmData train = new MlmData(trainText, wp, maxLen);
            MlmData val = new MlmData(valText, wp, maxLen);
            if (o.limit > 0) train = train.limit(o.limit);
            if (o.evalLimit > 0) val = val.limit(o.evalLimit);
            log.printf("BERT: hidden %d, %d layers, %d heads, MLP %d, vocab %d, length %d, %d parameters; %d training blocks, %d validation blocks (%s)%n",
                    model.config().hiddenSize, model.config().numHiddenLayers, model.config().numAttentionHeads, model.config().intermediateSize,
                    model.config().vocabSize, maxLen, model.params().parameterCount(), train.size(), val.size(), spec);
            BertTask task = new BertTask(model, train, val, o, wp.files(maxLen));
            return new TrainLoop(task, o, out, log, meta).progress(progress).run(resumed);
        }
    }
}
