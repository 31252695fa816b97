package io.otfuse.model.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An uncased BERT WordPiece tokenizer (greedy longest-match-first, {@code ##} continuation prefix) with
 * the special tokens [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4. Saved as {@code vocab.txt} plus HF
 * {@code tokenizer.json}, {@code tokenizer_config.json} and {@code special_tokens_map.json}.
 */
public final class WordPiece {
    public static final List<String> SPECIALS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
    public static final int PAD = 0, UNK = 1, CLS = 2, SEP = 3, MASK = 4;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> vocab;
    private final Map<String, Integer> ids = new HashMap<>();

    public WordPiece(List<String> vocab) {
        for (int i = 0; i < SPECIALS.size(); i++) {
            if (vocab.size() <= i || !vocab.get(i).equals(SPECIALS.get(i))) throw new IllegalArgumentException("vocabulary must start with " + SPECIALS);
        }
        this.vocab = List.copyOf(vocab);
        for (int i = 0; i < vocab.size(); i++) ids.putIfAbsent(vocab.get(i), i);
    }

    public int size() {
        return vocab.size();
    }

    public String token(int id) {
        return vocab.get(id);
    }

    public List<String> vocab() {
        return vocab;
    }

    /** Token ids of a text, without [CLS]/[SEP]. */
    public int[] encode(String text) {
        List<Integer> out = new ArrayList<>();
        for (String w : BasicTokenizer.split(text)) wordPieces(w, out);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    void wordPieces(String w, List<Integer> out) {
        if (w.codePointCount(0, w.length()) > 100) {
            out.add(UNK);
            return;
        }
        int n0 = out.size();
        int start = 0;
        while (start < w.length()) {
            int end = w.length();
            Integer found = null;
            while (start < end) {
                String sub = (start > 0 ? "##" : "") + w.substring(start, end);
                Integer id = ids.get(sub);
                if (id != null) {
                    found = id;
                    break;
                }
                end = Character.isLowSurrogate(w.charAt(end - 1)) && end - 2 > start ? end - 2 : end - 1;
            }
            if (found == null) {
                while (out.size() > n0) out.remove(out.size() - 1);
                out.add(UNK);
                return;
            }
            out.add(found);
            start = end;
        }
    }

    public static WordPiece readVocab(Path vocabTxt) {
        try {
            List<String> lines = Files.readAllLines(vocabTxt, StandardCharsets.UTF_8);
            return new WordPiece(lines);
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.BAD_CHECKPOINT, vocabTxt + ": cannot read the vocabulary (" + e.getMessage() + ")", e);
        } catch (IllegalArgumentException e) {
            throw new OtfuseException(ExitCode.BAD_CHECKPOINT, vocabTxt + ": " + e.getMessage());
        }
    }

    /** The four HF tokenizer files, by file name. */
    public Map<String, byte[]> files(int maxLength) {
        Map<String, byte[]> f = new LinkedHashMap<>();
        f.put("vocab.txt", (String.join("\n", vocab) + "\n").getBytes(StandardCharsets.UTF_8));
        f.put("tokenizer.json", pretty(tokenizerJson()));
        ObjectNode cfg = JSON.createObjectNode();
        cfg.put("clean_up_tokenization_spaces", true);
        cfg.put("cls_token", "[CLS]");
        cfg.put("do_basic_tokenize", true);
        cfg.put("do_lower_case", true);
        cfg.put("mask_token", "[MASK]");
        cfg.put("model_max_length", maxLength);
        cfg.putNull("never_split");
        cfg.put("pad_token", "[PAD]");
        cfg.put("sep_token", "[SEP]");
        cfg.putNull("strip_accents");
        cfg.put("tokenize_chinese_chars", true);
        cfg.put("tokenizer_class", "BertTokenizer");
        cfg.put("unk_token", "[UNK]");
        f.put("tokenizer_config.json", pretty(cfg));
        ObjectNode sp = JSON.createObjectNode();
        sp.put("cls_token", "[CLS]");
        sp.put("mask_token", "[MASK]");
        sp.put("pad_token", "[PAD]");
        sp.put("sep_token", "[SEP]");
        sp.put("unk_token", "[UNK]");
        f.put("special_tokens_map.json", pretty(sp));
        return f;
    }

    private static byte[] pretty(ObjectNode o) {
        return (o.toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** HF tokenizers' serialisation of a BertWordPiece tokenizer. */
    public ObjectNode tokenizerJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("version", "1.0");
        o.putNull("truncation");
        o.putNull("padding");
        ArrayNode added = o.putArray("added_tokens");
        for (int i = 0; i < SPECIALS.size(); i++) {
            ObjectNode a = added.addObject();
            a.put("id", i);
            a.put("content", SPECIALS.get(i));
            a.put("single_word", false);
            a.put("lstrip", false);
            a.put("rstrip", false);
            a.put("normalized", false);
            a.put("special", true);
        }
        ObjectNode norm = o.putObject("normalizer");
        norm.put("type", "BertNormalizer");
        norm.put("clean_text", true);
        norm.put("handle_chinese_chars", true);
        norm.putNull("strip_accents");
        norm.put("lowercase", true);
        o.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = o.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        special(single, "[CLS]", 0);
        sequence(single, "A", 0);
        special(single, "[SEP]", 0);
        ArrayNode pair = post.putArray("pair");
        special(pair, "[CLS]", 0);
        sequence(pair, "A", 0);
        special(pair, "[SEP]", 0);
        sequence(pair, "B", 1);
        special(pair, "[SEP]", 1);
        ObjectNode st = post.putObject("special_tokens");
        for (String s : List.of("[CLS]", "[SEP]")) {
            ObjectNode e = st.putObject(s);
            e.put("id", s);
            e.putArray("ids").add(ids.get(s));
            e.putArray("tokens").add(s);
        }
        ObjectNode dec = o.putObject("decoder");
        dec.put("type", "WordPiece");
        dec.put("prefix", "##");
        dec.put("cleanup", true);
        ObjectNode model = o.putObject("model");
        model.put("type", "WordPiece");
        model.put("unk_token", "[UNK]");
        model.put("continuing_subword_prefix", "##");
        model.put("max_input_chars_per_word", 100);
        ObjectNode v = model.putObject("vocab");
        for (int i = 0; i < vocab.size(); i++) v.put(vocab.get(i), i);
        return o;
    }

    private static void special(ArrayNode a, String id, int type) {
        ObjectNode s = a.addObject().putObject("SpecialToken");
        s.put("id", id);
        s.put("type_id", type);
    }

    private static void sequence(ArrayNode a, String id, int type) {
        ObjectNode s = a.addObject().putObject("Sequence");
        s.put("id", id);
        s.put("type_id", type);
    }
}
