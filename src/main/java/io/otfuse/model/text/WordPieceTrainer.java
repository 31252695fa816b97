package io.otfuse.model.text;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds a WordPiece vocabulary from a corpus the way HF's {@code WordPieceTrainer} does: start from the
 * characters (word-initial, and {@code ##}-prefixed inside words), then repeatedly merge the most frequent
 * adjacent pair of symbols, weighting by word frequency, until the vocabulary has the requested size.
 * Pair counts are maintained incrementally; ties break on the earliest-created symbols, so the result is
 * deterministic.
 */
public final class WordPieceTrainer {
    private WordPieceTrainer() {}

    public static WordPiece train(Iterable<String> texts, int vocabSize, int minFrequency) {
        Map<String, Integer> wordCounts = new TreeMap<>();
        for (String t : texts) for (String w : BasicTokenizer.split(t)) wordCounts.merge(w, 1, Integer::sum);
        // alphabet, in order of first appearance within the sorted word list (deterministic)
        Map<String, Integer> symId = new HashMap<>();
        List<String> symbols = new ArrayList<>();
        Map<String, Long> charCount = new TreeMap<>();
        for (Map.Entry<String, Integer> e : wordCounts.entrySet()) {
            String w = e.getKey();
            int i = 0, k = 0;
            while (i < w.length()) {
                int cp = w.codePointAt(i);
                String s = (k == 0 ? "" : "##") + new String(Character.toChars(cp));
                charCount.merge(s, (long) e.getValue(), Long::sum);
                i += Character.charCount(cp);
                k++;
            }
        }
        List<String> vocab = new ArrayList<>(WordPiece.SPECIALS);
        for (Map.Entry<String, Long> e : charCount.entrySet()) {
            if (e.getValue() >= minFrequency && !e.getKey().startsWith("##")) addSymbol(e.getKey(), symbols, symId, vocab);
        }
        for (Map.Entry<String, Long> e : charCount.entrySet()) {
            if (e.getValue() >= minFrequency && e.getKey().startsWith("##")) addSymbol(e.getKey(), symbols, symId, vocab);
        }
        // words as symbol sequences (words with a rare character are left out of merging)
        List<int[]> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        outer:
        for (Map.Entry<String, Integer> e : wordCounts.entrySet()) {
            String w = e.getKey();
            List<Integer> seq = new ArrayList<>();
            int i = 0, k = 0;
            while (i < w.length()) {
                int cp = w.codePointAt(i);
                Integer id = symId.get((k == 0 ? "" : "##") + new String(Character.toChars(cp)));
                if (id == null) continue outer;
                seq.add(id);
                i += Character.charCount(cp);
                k++;
            }
            words.add(seq.stream().mapToInt(Integer::intValue).toArray());
            counts.add(e.getValue());
        }
        Map<Long, Long> pairCount = new HashMap<>();
        Map<Long, Set<Integer>> where = new HashMap<>();
        for (int wi = 0; wi < words.size(); wi++) addPairs(words.get(wi), counts.get(wi), wi, pairCount, where);
        PriorityQueue<long[]> heap = new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(b[0], a[0]) : Long.compare(a[1], b[1]));
        for (Map.Entry<Long, Long> e : pairCount.entrySet()) heap.add(new long[] {e.getValue(), e.getKey()});
        while (vocab.size() < vocabSize && !heap.isEmpty()) {
            long[] top = heap.poll();
            Long cur = pairCount.get(top[1]);
            if (cur == null || cur != top[0]) continue; // stale entry
            if (cur < minFrequency) break;
            int a = (int) (top[1] >>> 32), b = (int) top[1];
            String merged = symbols.get(a) + (symbols.get(b).startsWith("##") ? symbols.get(b).substring(2) : symbols.get(b));
            Integer existing = symId.get(merged);
            int c = existing != null ? existing : addSymbol(merged, symbols, symId, vocab);
            Set<Integer> affected = where.remove(top[1]);
            pairCount.remove(top[1]);
            if (affected == null) continue;
            Set<Long> touched = new HashSet<>();
            for (int wi : affected.stream().sorted().toList()) {
                int[] w = words.get(wi);
                long n = counts.get(wi);
                removePairs(w, n, wi, top[1], pairCount, where, touched);
                int[] nw = merge(w, a, b, c);
                words.set(wi, nw);
                addPairsTouched(nw, n, wi, pairCount, where, touched);
            }
            for (long key : touched) {
                Long v = pairCount.get(key);
                if (v != null && v > 0) heap.add(new long[] {v, key});
            }
        }
        return new WordPiece(vocab);
    }

    private static int addSymbol(String s, List<String> symbols, Map<String, Integer> symId, List<String> vocab) {
        int id = symbols.size();
        symbols.add(s);
        symId.put(s, id);
        vocab.add(s);
        return id;
    }

    static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xffffffffL);
    }

    private static void addPairs(int[] w, long n, int wi, Map<Long, Long> pc, Map<Long, Set<Integer>> where) {
        for (int i = 0; i + 1 < w.length; i++) {
            long k = key(w[i], w[i + 1]);
            pc.merge(k, n, Long::sum);
            where.computeIfAbsent(k, x -> new HashSet<>()).add(wi);
        }
    }

    private static void addPairsTouched(int[] w, long n, int wi, Map<Long, Long> pc, Map<Long, Set<Integer>> where, Set<Long> touched) {
        for (int i = 0; i + 1 < w.length; i++) {
            long k = key(w[i], w[i + 1]);
            pc.merge(k, n, Long::sum);
            where.computeIfAbsent(k, x -> new HashSet<>()).add(wi);
            touched.add(k);
        }
    }

    private static void removePairs(int[] w, long n, int wi, long merging, Map<Long, Long> pc, Map<Long, Set<Integer>> where, Set<Long> touched) {
        for (int i = 0; i + 1 < w.length; i++) {
            long k = key(w[i], w[i + 1]);
            if (k == merging) continue;
            Long v = pc.get(k);
            if (v != null) {
                if (v - n <= 0) pc.remove(k);
                else pc.put(k, v - n);
            }
            Set<Integer> s = where.get(k);
            if (s != null) s.remove(wi);
            touched.add(k);
        }
    }

    private static int[] merge(int[] w, int a, int b, int c) {
        int[] out = new int[w.length];
        int n = 0;
        for (int i = 0; i < w.length; i++) {
            if (i + 1 < w.length && w[i] == a && w[i + 1] == b) {
                out[n++] = c;
                i++;
            } else {
                out[n++] = w[i];
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }
}
