package io.otfuse.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The fusion engine's {@code fusion-report.json} as report sections: a summary, a per-space table, per-space cost
 * bars (identity matching before alignment vs the plan's cost after) and heatmaps of the transport maps when a
 * {@link FusionMaps} sidecar is present.
 */
public final class FusionReportView {
    public static final String FILE = "fusion-report.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One entry of the report's {@code spaces}: a space aligned for one model (to the anchor). */
    public record Space(String space, int model, String rule, String solver, int n, int m, double costBefore, double costAfter,
                        double entropy, double marginalError, long iterations, double timeMs, List<String> members,
                        List<String> inputs, String warning, String headAware) {
        /** Relative cost reduction {@code 1 - after/before}, NaN without a before. */
        public double reduction() {
            return costBefore > 0 ? 1 - costAfter / costBefore : Double.NaN;
        }
    }

    private final String source;
    private final JsonNode root;
    private final List<Space> spaces;
    private final List<FusionMaps.Entry> maps;

    private FusionReportView(String source, JsonNode root, List<Space> spaces, List<FusionMaps.Entry> maps) {
        this.source = source;
        this.root = root;
        this.spaces = spaces;
        this.maps = maps;
    }

    /**
     * Reads {@code fusion-report.json} (the file, or the fused checkpoint folder holding it) and, when it lies beside
     * it, the sidecar {@code fusion-maps.json}.
     */
    public static FusionReportView read(Path fileOrFolder) {
        Path f = Files.isDirectory(fileOrFolder) ? fileOrFolder.resolve(FILE) : fileOrFolder;
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(f));
        } catch (IOException ex) {
            throw new OtfuseException(ExitCode.IO_FAILURE, f + ": cannot read fusion report (" + String.valueOf(ex.getMessage()).split("\n")[0] + ")", ex);
        }
        Path side = f.toAbsolutePath().getParent().resolve(FusionMaps.FILE);
        List<FusionMaps.Entry> maps = Files.isRegularFile(side) ? FusionMaps.read(side) : List.of();
        return parse(root, f.toString(), maps);
    }

    /** A view of a report already in memory (e.g. {@code Fusion.fuse}'s return value turned into a tree). */
    public static FusionReportView of(JsonNode root, List<FusionMaps.Entry> maps) {
        return parse(root, "fusion report", maps);
    }

    /** A view of the map the fusion engine returns. */
    public static FusionReportView of(Map<String, ?> report, List<FusionMaps.Entry> maps) {
        return parse(JSON.valueToTree(report), "fusion report", maps);
    }

    private static FusionReportView parse(JsonNode root, String where, List<FusionMaps.Entry> maps) {
        if (root == null || !root.isObject() || !root.path("spaces").isArray())
            throw new OtfuseException(ExitCode.BAD_CONFIG, where + ": not a fusion report (no \"spaces\" array)");
        List<Space> spaces = new ArrayList<>();
        for (JsonNode s : root.path("spaces")) {
            spaces.add(new Space(s.path("space").asText("?"), s.path("model").asInt(1), s.path("rule").asText(""),
                    s.path("solver").asText(""), s.path("n").asInt(0), s.path("m").asInt(0), num(s, "cost_before"), num(s, "cost_after"),
                    num(s, "entropy"), num(s, "marginal_error"), s.path("iterations").asLong(-1), num(s, "time_ms"),
                    strings(s.path("members")), strings(s.path("inputs")), text(s, "warning"), headAware(s)));
        }
        return new FusionReportView(where, root, List.copyOf(spaces), List.copyOf(maps));
    }

    private static double num(JsonNode o, String k) {
        JsonNode v = o.path(k);
        return v.isNumber() ? v.asDouble() : Double.NaN;
    }

    private static String text(JsonNode o, String k) {
        JsonNode v = o.path(k);
        return v.isMissingNode() || v.isNull() ? null : v.asText();
    }

    private static String headAware(JsonNode s) {
        if (s.has("head_aware")) return s.path("head_aware").asText();
        if (s.path("head_match").isArray()) return "heads matched " + strings(s.path("head_match"));
        return null;
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        if (a.isArray()) for (JsonNode x : a) out.add(x.asText());
        return out;
    }

    public List<Space> spaces() {
        return spaces;
    }

    public List<FusionMaps.Entry> maps() {
        return maps;
    }

    /** The report's top-level field, or a missing node. */
    public JsonNode field(String name) {
        return root.path(name);
    }

    /** Adds the view with the default limit of 8 heatmaps. */
    public HtmlReport.Builder addTo(HtmlReport.Builder b, String heading) {
        return addTo(b, heading, 8, HtmlReport.DEFAULT_MAX_SIDE);
    }

    /**
     * Adds a section {@code heading}: summary, per-space table, cost bars (one chart per aligned model) and at most
     * {@code maxHeatmaps} transport-map heatmaps (evenly picked over the maps, first and last included), each
     * downsampled to at most {@code maxSide} rows and columns.
     */
    public HtmlReport.Builder addTo(HtmlReport.Builder b, String heading, int maxHeatmaps, int maxSide) {
        b.heading(heading);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("family", root.path("family").asText(""));
        JsonNode models = root.path("models");
        for (int i = 0; i < models.size(); i++) summary.put("model " + i, models.get(i).asText());
        if (root.has("anchor")) summary.put("anchor", "model " + root.path("anchor").asInt());
        if (root.path("weights").isArray()) summary.put("weights", strings(root.path("weights")).toString());
        JsonNode o = root.path("options");
        for (String k : List.of("preset", "align", "solver", "reg", "topology", "qk", "residual", "metric", "cost-norm", "weight-norm", "samples", "tokens")) {
            if (o.has(k) && !o.path(k).isNull()) summary.put(k, o.path(k).isNumber() ? (Object) o.path(k).asDouble() : o.path(k).asText());
        }
        if (root.has("tensors")) summary.put("tensors", root.path("tensors").asInt());
        if (root.has("time_ms")) summary.put("time (s)", root.path("time_ms").asDouble() / 1000);
        b.keyValues("Summary", summary);
        for (JsonNode n : root.path("notes")) b.paragraph("Note: " + n.asText());

        List<List<?>> rows = new ArrayList<>();
        for (Space s : spaces) {
            List<String> notes = new ArrayList<>();
            if (!s.members().isEmpty()) notes.add("shared by " + String.join(", ", s.members()));
            if (!s.inputs().isEmpty()) notes.add("joins " + String.join(", ", s.inputs()));
            if (s.headAware() != null) notes.add(s.headAware());
            if (s.warning() != null) notes.add("warning: " + s.warning());
            rows.add(Arrays.asList(s.space(), s.model(), s.rule(), s.solver(), s.n() + " \u00d7 " + s.m(), s.costBefore(), s.costAfter(),
                    Double.isNaN(s.reduction()) ? null : String.format(java.util.Locale.ROOT, "%.1f %%", 100 * s.reduction()),
                    s.entropy(), s.marginalError(), s.iterations() < 0 ? null : (Object) s.iterations(), s.timeMs(), String.join("; ", notes)));
        }
        b.table("Aligned spaces (model k to the anchor)", List.of("space", "model", "rule", "solver", "size (n \u00d7 m)", "cost before",
                "cost after", "reduction", "plan entropy", "marginal error", "iterations", "time (ms)", "notes"), rows);

        TreeSet<Integer> ks = new TreeSet<>();
        for (Space s : spaces) if (!Double.isNaN(s.costAfter())) ks.add(s.model());
        for (int k : ks) {
            List<String> cats = new ArrayList<>();
            List<Double> before = new ArrayList<>(), after = new ArrayList<>();
            for (Space s : spaces) {
                if (s.model() != k || Double.isNaN(s.costAfter())) continue;
                cats.add(s.space());
                before.add(s.costBefore());
                after.add(s.costAfter());
            }
            Map<String, double[]> series = new LinkedHashMap<>();
            series.put("before alignment (identity)", before.stream().mapToDouble(Double::doubleValue).toArray());
            series.put("after alignment (<P, C>)", after.stream().mapToDouble(Double::doubleValue).toArray());
            b.barChart("Transport cost per space, model " + k + " \u2192 anchor", "mean cost", cats, series);
        }

        if (maps.isEmpty()) {
            b.paragraph("Transport maps: not in this report (no " + FusionMaps.FILE + " beside it).");
        } else {
            List<FusionMaps.Entry> shown = pick(maps, maxHeatmaps);
            b.subheading("Transport maps");
            b.paragraph("Each plan downsampled to blocks: a cell is the share of its row block's transport mass (model k's "
                    + "neurons) sent to its column block (the anchor's neurons), so every row sums to 1. Showing " + shown.size()
                    + " of " + maps.size() + ".");
            for (FusionMaps.Entry e : shown) {
                double[][] d = rowShares(new FusionMaps.Entry(e.space(), e.model(), e.n(), e.m(), Downsample.blockMean(e.values(), maxSide)));
                int br = (int) Math.ceil((double) e.n() / d.length), bc = (int) Math.ceil((double) e.m() / d[0].length);
                b.heatmap(e.space() + ", model " + e.model() + " \u2192 anchor (" + e.n() + " \u00d7 " + e.m() + ")",
                        "anchor neuron" + (bc > 1 ? " (blocks of " + bc + ")" : ""), "model " + e.model() + " neuron" + (br > 1 ? " (blocks of " + br + ")" : ""),
                        d, maxSide);
            }
        }
        return b;
    }

    /**
     * The block means of a sidecar map turned into row shares: block sum / row-block mass. With only the means at hand,
     * block sums are mean x (rows in block) x (columns in block); the row blocks' masses are their row sums.
     */
    static double[][] rowShares(FusionMaps.Entry e) {
        double[][] v = e.values();
        int rows = v.length, cols = v[0].length;
        int br = Downsample.block(e.n(), rows), bc = Downsample.block(e.m(), cols);
        boolean exact = Downsample.blocks(e.n(), br) == rows && Downsample.blocks(e.m(), bc) == cols;
        double[][] out = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            int nr = exact ? Math.min(br, e.n() - i * br) : 1;
            double total = 0;
            for (int j = 0; j < cols; j++) {
                int nc = exact ? Math.min(bc, e.m() - j * bc) : 1;
                out[i][j] = v[i][j] * nr * nc;
                total += out[i][j];
            }
            if (total > 0) for (int j = 0; j < cols; j++) out[i][j] /= total;
        }
        return out;
    }

    /** At most {@code k} entries evenly spread over the list, first and last included. */
    static <T> List<T> pick(List<T> all, int k) {
        if (k <= 0) return List.of();
        if (all.size() <= k) return all;
        List<T> out = new ArrayList<>();
        if (k == 1) return List.of(all.get(0));
        int last = -1;
        for (int i = 0; i < k; i++) {
            int idx = (int) Math.round((double) i * (all.size() - 1) / (k - 1));
            if (idx != last) out.add(all.get(idx));
            last = idx;
        }
        return out;
    }

    @Override
    public String toString() {
        return "FusionReportView[" + source + ", " + spaces.size() + " spaces, " + maps.size() + " maps]";
    }
}
