package io.otfuse.fusion.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.otfuse.io.ExitCode;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.OtfuseException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The architecture spec of a model family, read from a JSON resource ({@code spec/vit.json},
 * {@code spec/bert.json}): which space every tensor axis lives in, and how each space gets its map.
 * {@link #expand} instantiates the layer templates for one config.
 */
public final class ArchSpec {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String family;
    private final List<JsonNode> spaces = new ArrayList<>();
    private final List<JsonNode> optionalSpaces = new ArrayList<>();
    private final List<JsonNode> tensors = new ArrayList<>();
    private final List<JsonNode> tied = new ArrayList<>();

    private ArchSpec(JsonNode root) {
        family = root.path("family").asText();
        root.path("spaces").forEach(spaces::add);
        root.path("optionalSpaces").forEach(optionalSpaces::add);
        root.path("tensors").forEach(tensors::add);
        root.path("tied").forEach(tied::add);
    }

    /** The built-in spec of a family. */
    public static ArchSpec of(ModelConfig.Family family) {
        String res = "/io/otfuse/fusion/spec/" + family.name().toLowerCase() + ".json";
        try (InputStream in = ArchSpec.class.getResourceAsStream(res)) {
            if (in == null) throw new IllegalStateException("missing resource " + res);
            return new ArchSpec(JSON.readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ArchSpec parse(String json) {
        try {
            return new ArchSpec(JSON.readTree(json));
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.BAD_CONFIG, "architecture spec: not valid JSON: " + e.getMessage().split("\n")[0]);
        }
    }

    public String family() {
        return family;
    }

    /** Direction of an axis: the tensor writes ({@code OUT}) or reads ({@code IN}) the neurons of the space. */
    public enum Dir { OUT, IN }

    /** One axis: fixed ({@code space == null}) or living in a space. */
    public record Axis(String space, Dir dir) {
        public boolean fixed() {
            return space == null;
        }
    }

    public enum Kind { SOLVE, JOIN, SAME }

    /** One space, layer templates expanded. */
    public record SpaceDef(String name, String size, Kind kind, List<String> solve, List<String> join, String same,
                           boolean stream, boolean heads, String qk, String tap, List<String> taps, int layer,
                           boolean lastLayerCls) {}

    /** One tensor, layer templates expanded. {@code layer} is -1 outside the encoder layers. */
    public record TensorDef(String name, List<Axis> axes, int layer, boolean optional) {}

    /** A tied tensor: not stored, equal to {@code to} after loading. */
    public record Tied(String tensor, String to) {}

    /** The spec instantiated for one model. */
    public record Expanded(String family, List<SpaceDef> spaces, List<TensorDef> tensors, List<Tied> tied, int layers) {
        public SpaceDef space(String name) {
            for (SpaceDef s : spaces) if (s.name().equals(name)) return s;
            return null;
        }

        public TensorDef tensor(String name) {
            for (TensorDef t : tensors) if (t.name().equals(name)) return t;
            return null;
        }
    }

    /**
     * Instantiates the templates. {@code officialAxes} selects the axes that reproduce the reference
     * implementation's quirks where a tensor declares them; {@code present} decides which optional tensors exist.
     */
    public Expanded expand(ModelConfig cfg, boolean officialAxes, java.util.function.Predicate<String> present) {
        int layers = cfg.numHiddenLayers;
        List<SpaceDef> outSpaces = new ArrayList<>();
        List<TensorDef> outTensors = new ArrayList<>();
        for (JsonNode t : tensors) {
            String name = t.path("name").asText();
            JsonNode axesNode = officialAxes && t.has("officialAxes") ? t.get("officialAxes") : t.get("axes");
            boolean optional = t.path("optional").asBoolean(false);
            for (int i : layerRange(name, layers)) {
                String n = subst(name, i, layers);
                if (optional && !present.test(n)) continue;
                List<Axis> axes = new ArrayList<>();
                for (JsonNode a : axesNode) axes.add(axis(subst(a.asText(), i, layers)));
                outTensors.add(new TensorDef(n, List.copyOf(axes), i, optional));
            }
        }
        Map<String, Boolean> used = new LinkedHashMap<>();
        for (TensorDef t : outTensors) for (Axis a : t.axes()) if (!a.fixed()) used.put(a.space(), true);
        List<JsonNode> all = new ArrayList<>(spaces);
        all.addAll(optionalSpaces);
        for (JsonNode s : all) {
            String name = s.path("name").asText();
            boolean isOptional = optionalSpaces.contains(s);
            for (int i : layerRange(name, layers)) {
                String n = subst(name, i, layers);
                if (isOptional && !used.containsKey(n)) continue;
                Kind kind = s.has("join") ? Kind.JOIN : s.has("same") ? Kind.SAME : Kind.SOLVE;
                List<String> solve = strings(s.get("solve"), i, layers);
                List<String> join = strings(s.get("join"), i, layers);
                List<String> taps = strings(s.get("taps"), i, layers);
                String tap = s.has("tap") ? subst(s.get("tap").asText(), i, layers) : null;
                outSpaces.add(new SpaceDef(n, s.path("size").asText("hidden"), kind, solve, join,
                        s.has("same") ? subst(s.get("same").asText(), i, layers) : null,
                        s.path("stream").asBoolean(false), s.path("heads").asBoolean(false),
                        s.has("qk") ? s.get("qk").asText() : null, tap, taps, i,
                        s.path("lastLayerCls").asBoolean(false)));
            }
        }
        List<Tied> ties = new ArrayList<>();
        for (JsonNode t : tied) ties.add(new Tied(t.path("tensor").asText(), t.path("to").asText()));
        return new Expanded(family, List.copyOf(outSpaces), List.copyOf(outTensors), List.copyOf(ties), layers);
    }

    /** Size of a space of the given size key in a model of this config. */
    public static int size(String key, ModelConfig cfg) {
        return switch (key) {
            case "hidden" -> cfg.hiddenSize;
            case "intermediate" -> cfg.intermediateSize;
            default -> throw new IllegalStateException("unknown size key " + key);
        };
    }

    private static List<Integer> layerRange(String template, int layers) {
        List<Integer> r = new ArrayList<>();
        if (template.contains("{i")) {
            for (int i = 0; i < layers; i++) r.add(i);
        } else {
            r.add(-1);
        }
        return r;
    }

    private static List<String> strings(JsonNode arr, int i, int layers) {
        List<String> r = new ArrayList<>();
        if (arr != null) for (JsonNode a : arr) r.add(subst(a.asText(), i, layers));
        return List.copyOf(r);
    }

    static String subst(String s, int i, int layers) {
        String r = s.replace("{L}", Integer.toString(layers));
        if (i >= 0) {
            r = r.replace("{i}", Integer.toString(i)).replace("{i+1}", Integer.toString(i + 1))
                    .replace("{i-1}", Integer.toString(i - 1));
            // the "previous layer" of layer 0 is the embedding module
            r = r.replace("encoder.layer.-1", "embeddings");
        }
        return r;
    }

    private static Axis axis(String s) {
        if (s.equals("fixed")) return new Axis(null, Dir.OUT);
        if (s.startsWith("out:")) return new Axis(s.substring(4), Dir.OUT);
        if (s.startsWith("in:")) return new Axis(s.substring(3), Dir.IN);
        throw new IllegalStateException("bad axis '" + s + "' (expected fixed, out:SPACE or in:SPACE)");
    }
}
