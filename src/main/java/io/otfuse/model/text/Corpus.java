package io.otfuse.model.text;

import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Text corpora for masked-LM training. {@code wordnet} is WordNet's glosses and usage examples (Debian
 * {@code wordnet-base}, {@code /usr/share/wordnet/data.{noun,verb,adj,adv}}), one passage per synset:
 * "lemma, lemma : definition ; example ; example". Its fixed split puts a synset in validation when
 * CRC32("pos:offset") mod 20 == 0 (5 %). A plain-text file gives one passage per non-empty line, with
 * the same rule applied to the line number.
 */
public final class Corpus {
    public static final Path WORDNET = Path.of("/usr/share/wordnet");

    private Corpus() {}

    /** Passages of the split: "train" or "validation". SPEC: wordnet[@train|@validation] or FILE[@…]. */
    public static List<String> load(String spec, String defaultSplit) {
        String split = defaultSplit;
        String s = spec;
        int at = s.lastIndexOf('@');
        if (at > 0) {
            split = s.substring(at + 1);
            s = s.substring(0, at);
        }
        if (split.equals("test") || split.equals("valid") || split.equals("val")) split = "validation";
        if (!split.equals("train") && !split.equals("validation")) throw new OtfuseException(ExitCode.USAGE, "--data " + spec + ": split must be @train or @validation");
        boolean val = split.equals("validation");
        return s.equals("wordnet") ? wordnet(WORDNET, val) : textFile(Path.of(s), val);
    }

    static boolean inValidation(String key) {
        CRC32 c = new CRC32();
        c.update(key.getBytes(StandardCharsets.UTF_8));
        return c.getValue() % 20 == 0;
    }

    public static List<String> wordnet(Path dir, boolean validation) {
        List<String> out = new ArrayList<>();
        for (String pos : List.of("noun", "verb", "adj", "adv")) {
            Path f = dir.resolve("data." + pos);
            if (!Files.isRegularFile(f)) throw new OtfuseException(ExitCode.DATA, f + ": missing (install the Debian package wordnet-base)");
            List<String> lines;
            try {
                lines = Files.readAllLines(f, StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                throw new OtfuseException(ExitCode.DATA, f + ": cannot read (" + e.getMessage() + ")", e);
            }
            for (String line : lines) {
                if (line.startsWith("  ") || line.isBlank()) continue; // licence header
                int bar = line.indexOf(" | ");
                if (bar < 0) continue;
                String[] head = line.substring(0, bar).split(" ");
                if (head.length < 5) continue;
                if (inValidation(pos + ":" + head[0]) != validation) continue;
                int nWords = Integer.parseInt(head[3], 16);
                List<String> lemmas = new ArrayList<>();
                for (int i = 0; i < nWords && 4 + 2 * i < head.length; i++) {
                    String lemma = head[4 + 2 * i].replace('_', ' ');
                    int paren = lemma.indexOf('(');
                    if (paren > 0) lemma = lemma.substring(0, paren);
                    lemmas.add(lemma);
                }
                String gloss = line.substring(bar + 3).trim();
                out.add(String.join(", ", lemmas) + " : " + gloss);
            }
        }
        return out;
    }

    public static List<String> textFile(Path f, boolean validation) {
        List<String> lines;
        try {
            lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.DATA, f + ": cannot read the text corpus (" + e.getMessage() + ")", e);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).trim();
            if (l.isEmpty()) continue;
            if (inValidation("line:" + i) == validation) out.add(l);
        }
        if (out.isEmpty()) throw new OtfuseException(ExitCode.DATA, f + ": no text lines in the " + (validation ? "validation" : "train") + " split");
        return out;
    }
}
