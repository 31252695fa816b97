package io.otfuse.model.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Packed masked-LM sequences: every passage becomes [CLS] tokens [SEP]; the concatenation of all passages
 * is cut into blocks of exactly {@code maxLen} tokens (the remainder is dropped), as HF's run_mlm
 * {@code group_texts}. Masking selects each non-special position with probability p; a selected token
 * becomes [MASK] 80 %, a random non-special token 10 %, unchanged 10 %.
 */
public final class MlmData {
    private final int[][] blocks;
    private final int vocab;
    private final long[] unigram;
    private final long unigramTotal;

    public MlmData(List<String> passages, WordPiece wp, int maxLen) {
        List<int[]> out = new ArrayList<>();
        int[] cur = new int[maxLen];
        int n = 0;
        vocab = wp.size();
        unigram = new long[vocab];
        long total = 0;
        for (String p : passages) {
            int[] ids = wp.encode(p);
            int[] seq = new int[ids.length + 2];
            seq[0] = WordPiece.CLS;
            System.arraycopy(ids, 0, seq, 1, ids.length);
            seq[seq.length - 1] = WordPiece.SEP;
            for (int id : ids) {
                unigram[id]++;
                total++;
            }
            for (int id : seq) {
                cur[n++] = id;
                if (n == maxLen) {
                    out.add(cur);
                    cur = new int[maxLen];
                    n = 0;
                }
            }
        }
        blocks = out.toArray(new int[0][]);
        unigramTotal = total;
    }

    private MlmData(int[][] blocks, int vocab, long[] unigram, long total) {
        this.blocks = blocks;
        this.vocab = vocab;
        this.unigram = unigram;
        this.unigramTotal = total;
    }

    /** The first n blocks (statistics unchanged). */
    public MlmData limit(int n) {
        if (n <= 0 || n >= blocks.length) return this;
        return new MlmData(java.util.Arrays.copyOf(blocks, n), vocab, unigram, unigramTotal);
    }

    public int size() {
        return blocks.length;
    }

    public int maxLen() {
        return blocks.length == 0 ? 0 : blocks[0].length;
    }

    public int[] block(int i) {
        return blocks[i];
    }

    /** Unigram counts of the (non-special) tokens of this data. */
    public long[] unigramCounts() {
        return unigram;
    }

    public long unigramTotal() {
        return unigramTotal;
    }

    public static boolean special(int id) {
        return id < WordPiece.SPECIALS.size();
    }

    /** A masked batch: input ids [B*T], selected flat positions, and their original ids. */
    public record Masked(long[] ids, long[] positions, long[] labels) {}

    public Masked mask(int[] idx, double p, Random r) {
        int t = maxLen();
        long[] ids = new long[idx.length * t];
        List<Long> pos = new ArrayList<>();
        List<Long> lab = new ArrayList<>();
        for (int b = 0; b < idx.length; b++) {
            int[] blk = blocks[idx[b]];
            for (int j = 0; j < t; j++) {
                int id = blk[j];
                int flat = b * t + j;
                ids[flat] = id;
                if (special(id) || r.nextDouble() >= p) continue;
                pos.add((long) flat);
                lab.add((long) id);
                double u = r.nextDouble();
                if (u < 0.8) ids[flat] = WordPiece.MASK;
                else if (u < 0.9) ids[flat] = WordPiece.SPECIALS.size() + r.nextInt(vocab - WordPiece.SPECIALS.size());
            }
        }
        if (pos.isEmpty()) { // guarantee at least one target
            for (int j = 0; j < t; j++) {
                if (!special(blocks[idx[0]][j])) {
                    pos.add((long) j);
                    lab.add((long) blocks[idx[0]][j]);
                    ids[j] = WordPiece.MASK;
                    break;
                }
            }
        }
        return new Masked(ids, pos.stream().mapToLong(Long::longValue).toArray(), lab.stream().mapToLong(Long::longValue).toArray());
    }
}
