package io.otfuse.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Records outputs of named modules during a forward pass, keyed by the Hugging Face module name
 * ({@code vit.encoder.layer.3.intermediate.dense}, …). Modules are selected by patterns: a pattern
 * starting with {@code re:} is a Java regex matched against the whole name; otherwise it is a glob in
 * which {@code *} matches within one dot-separated segment and {@code **} matches anything.
 *
 * <p>Each recorded module yields one {@code float[tokens][width]} per sample, appended in the order
 * samples pass through forward calls. Models test {@link #wants(String)} before touching an output, and
 * a {@code null} Taps (or {@link #NONE}) costs nothing.
 */
public final class Taps {
    /** Records nothing. */
    public static final Taps NONE = new Taps(List.of());

    private final List<Pattern> patterns;
    private final Map<String, Boolean> decided = new java.util.HashMap<>();
    private final Map<String, List<float[][]>> recorded = new LinkedHashMap<>();

    private Taps(List<Pattern> patterns) {
        this.patterns = patterns;
    }

    /** Taps for the given patterns (globs, or regexes prefixed with {@code re:}). */
    public static Taps of(String... patterns) {
        List<Pattern> ps = new ArrayList<>();
        for (String p : patterns) {
            for (String one : p.split(",")) {
                String s = one.trim();
                if (s.isEmpty()) continue;
                ps.add(s.startsWith("re:") ? Pattern.compile(s.substring(3)) : Pattern.compile(globToRegex(s)));
            }
        }
        return new Taps(ps);
    }

    static String globToRegex(String glob) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                    b.append(".*");
                    i++;
                } else {
                    b.append("[^.]*");
                }
            } else if (c == '?') {
                b.append("[^.]");
            } else {
                b.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return b.toString();
    }

    public boolean active() {
        return !patterns.isEmpty();
    }

    /** Whether the module's output is to be recorded. */
    public boolean wants(String module) {
        if (patterns.isEmpty()) return false;
        return decided.computeIfAbsent(module, m -> {
            for (Pattern p : patterns) if (p.matcher(m).matches()) return true;
            return false;
        });
    }

    /** Records {@code x} of shape [B, T, W] (or [B, W], taken as one token) if the module is wanted. */
    public void record(String module, NDArray x) {
        if (!wants(module)) return;
        long[] s = x.getShape().getShape();
        int b = (int) s[0];
        int t = s.length == 3 ? (int) s[1] : 1;
        int w = (int) s[s.length - 1];
        float[] all = x.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        List<float[][]> list = recorded.computeIfAbsent(module, k -> new ArrayList<>());
        for (int i = 0; i < b; i++) {
            float[][] m = new float[t][w];
            for (int j = 0; j < t; j++) System.arraycopy(all, (i * t + j) * w, m[j], 0, w);
            list.add(m);
        }
    }

    /** Module names recorded so far, in first-recorded order. */
    public List<String> names() {
        return List.copyOf(recorded.keySet());
    }

    /** Per-sample [tokens][width] outputs of one module (empty if never recorded). */
    public List<float[][]> get(String module) {
        return Collections.unmodifiableList(recorded.getOrDefault(module, List.of()));
    }

    public Map<String, List<float[][]>> all() {
        return Collections.unmodifiableMap(recorded);
    }

    public void clear() {
        recorded.clear();
    }
}
