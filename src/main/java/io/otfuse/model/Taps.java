package io.otfuse.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * Hands outputs of named modules to a consumer as a forward pass computes them, keyed by the Hugging Face module name
 * ({@code vit.encoder.layer.3.intermediate.dense}, …). Modules are selected by patterns: a pattern
 * starting with {@code re:} is a Java regex matched against the whole name; otherwise it is a glob in
 * which {@code *} matches within one dot-separated segment and {@code **} matches anything.
 *
 * <p>The consumer gets the engine array itself ({@code [B, T, W]}, or {@code [B, W]} for one token per sample), not a
 * copy, valid only during the call: an inference forward frees a layer's arrays when the layer is done, so the consumer
 * copies what it keeps. Models test {@link #wants(String)} before touching an output, and a {@code null} Taps (or
 * {@link #NONE}) costs nothing.
 */
public final class Taps {
    /** Selects nothing. */
    public static final Taps NONE = new Taps(List.of(), (module, x) -> {});

    private final List<Pattern> patterns;
    private final BiConsumer<String, NDArray> consumer;
    private final Map<String, Boolean> decided = new java.util.HashMap<>();

    private Taps(List<Pattern> patterns, BiConsumer<String, NDArray> consumer) {
        this.patterns = patterns;
        this.consumer = consumer;
    }

    /** Taps handing the outputs of modules matching the patterns (globs, or regexes prefixed with {@code re:}) to {@code consumer}. */
    public static Taps of(BiConsumer<String, NDArray> consumer, String... patterns) {
        List<Pattern> ps = new ArrayList<>();
        for (String p : patterns) {
            for (String one : p.split(",")) {
                String s = one.trim();
                if (s.isEmpty()) continue;
                ps.add(s.startsWith("re:") ? Pattern.compile(s.substring(3)) : Pattern.compile(globToRegex(s)));
            }
        }
        return new Taps(ps, consumer);
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

    /** Hands {@code x} to the consumer if the module is wanted. */
    public void record(String module, NDArray x) {
        if (wants(module)) consumer.accept(module, x);
    }
}
