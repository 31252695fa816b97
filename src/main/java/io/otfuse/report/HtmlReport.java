package io.otfuse.report;

import io.otfuse.io.AtomicFiles;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One self-contained HTML page: CSS inline, charts as PNG {@code data:} URIs, no external file and no network.
 * All text is escaped. A small inline script checks on load that every image decoded and writes the result into
 * the element {@code #otfuse-image-check} ({@code data-state="ok"} or {@code "broken"}, visible in red when broken);
 * each decoded image gets {@code data-decoded="WxH"}.
 *
 * <pre>
 * String html = HtmlReport.builder().title("Demo")
 *     .table("Results", List.of("model", "accuracy"), List.of(List.of("fused", 0.85)))
 *     .lineChart("λ sweep", "λ", "accuracy", true, Map.of("OT soft", new double[][] {{0.01, 0.1}, {0.8, 0.7}}))
 *     .build();
 * </pre>
 */
public final class HtmlReport {
    /** Heatmaps are downsampled to at most this many rows and columns unless told otherwise. */
    public static final int DEFAULT_MAX_SIDE = 128;
    /** Larger requests are clamped to this (a heatmap is drawn at most ~512 px wide anyway). */
    public static final int MAX_SIDE_LIMIT = 512;

    private HtmlReport() {}

    public static Builder builder() {
        return new Builder();
    }

    /** Builds the page section by section; charts are rendered when added. Not thread-safe. */
    public static final class Builder {
        private String title = "otfuse report";
        private final List<String> body = new ArrayList<>();
        private int images;
        private int tables;

        private Builder() {}

        /** The page's title (also its top heading). */
        public Builder title(String t) {
            title = t;
            return this;
        }

        /** A section heading. */
        public Builder heading(String text) {
            body.add("<h2>" + Html.escape(text) + "</h2>");
            return this;
        }

        /** A subsection heading. */
        public Builder subheading(String text) {
            body.add("<h3>" + Html.escape(text) + "</h3>");
            return this;
        }

        /** A paragraph of plain text (escaped; newlines kept as line breaks). */
        public Builder paragraph(String text) {
            body.add("<p>" + Html.escape(text).replace("\n", "<br>") + "</p>");
            return this;
        }

        /** Preformatted text (a command line, a config). */
        public Builder code(String text) {
            body.add("<pre>" + Html.escape(text) + "</pre>");
            return this;
        }

        /**
         * A table. Cells are formatted by {@link Html#cell}: doubles with 4 significant digits, NaN as a dash,
         * null as empty. Numeric cells are right-aligned.
         */
        public Builder table(String caption, List<String> headers, List<? extends List<?>> rows) {
            StringBuilder b = new StringBuilder("<table>");
            if (caption != null && !caption.isEmpty()) b.append("<caption>").append(Html.escape(caption)).append("</caption>");
            b.append("<thead><tr>");
            for (String h : headers) b.append("<th>").append(Html.escape(h)).append("</th>");
            b.append("</tr></thead><tbody>");
            for (List<?> r : rows) {
                if (r.size() > headers.size())
                    throw new IllegalArgumentException("table '" + caption + "': a row has " + r.size() + " cells for " + headers.size() + " columns");
                b.append("<tr>");
                for (int i = 0; i < headers.size(); i++) {
                    Object v = i < r.size() ? r.get(i) : null;
                    b.append(v instanceof Number ? "<td class=\"num\">" : "<td>").append(Html.escape(Html.cell(v))).append("</td>");
                }
                b.append("</tr>");
            }
            b.append("</tbody></table>");
            body.add(b.toString());
            tables++;
            return this;
        }

        /** A two-column table of names and values. */
        public Builder keyValues(String caption, Map<String, ?> values) {
            List<List<?>> rows = new ArrayList<>();
            for (Map.Entry<String, ?> e : values.entrySet()) rows.add(java.util.Arrays.asList(e.getKey(), e.getValue()));
            return table(caption, List.of("name", "value"), rows);
        }

        /**
         * A line chart; each series maps its name to {@code {xs, ys}}. Non-finite points (and x &lt;= 0 on a log x
         * axis) are left out; with no point at all a note replaces the chart.
         */
        public Builder lineChart(String title, String xLabel, String yLabel, boolean logX, Map<String, double[][]> series) {
            return chart(title, Charts.line(title, xLabel, yLabel, logX, series));
        }

        /** A grouped bar chart: one group per category, one bar per series (values per category, NaN = missing). */
        public Builder barChart(String title, String yLabel, List<String> categories, Map<String, double[]> series) {
            return chart(title, Charts.bar(title, yLabel, categories, series));
        }

        /** A heatmap of {@code matrix}, block-averaged to at most {@code maxSide} (clamped to 512) rows and columns first. */
        public Builder heatmap(String title, double[][] matrix, int maxSide) {
            return heatmap(title, "column", "row", matrix, maxSide);
        }

        /** A heatmap with axis labels, block-averaged to at most {@code maxSide} rows and columns first. */
        public Builder heatmap(String title, String xLabel, String yLabel, double[][] matrix, int maxSide) {
            double[][] d = Downsample.blockMean(matrix, Math.min(maxSide, MAX_SIDE_LIMIT));
            if (d.length == 0 || d[0].length == 0) return paragraph(title + ": empty matrix");
            return chart(title, Charts.heatmap(title, xLabel, yLabel, d));
        }

        /** A heatmap of a row-major {@code rows x cols} matrix, block-averaged to at most {@code maxSide} first. */
        public Builder heatmap(String title, String xLabel, String yLabel, double[] flat, int rows, int cols, int maxSide) {
            double[][] d = Downsample.blockMean(flat, rows, cols, Math.min(maxSide, MAX_SIDE_LIMIT));
            if (d.length == 0 || d[0].length == 0) return paragraph(title + ": empty matrix");
            return chart(title, Charts.heatmap(title, xLabel, yLabel, d));
        }

        /** A PNG image (already encoded) with alternative text. */
        public Builder image(String alt, byte[] png) {
            body.add("<figure><img alt=\"" + Html.escape(alt) + "\" src=\"" + Charts.dataUri(png) + "\"></figure>");
            images++;
            return this;
        }

        private Builder chart(String title, byte[] png) {
            if (png == null) return paragraph(title + ": no data.");
            return image(title, png);
        }

        /** Number of images added so far. */
        public int images() {
            return images;
        }

        /** Number of tables added so far. */
        public int tables() {
            return tables;
        }

        /** The page. */
        public String build() {
            StringBuilder b = new StringBuilder(1 << 16);
            b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                    .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                    .append("<meta name=\"generator\" content=\"otfuse\">\n")
                    .append("<title>").append(Html.escape(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n<main>\n")
                    .append("<h1>").append(Html.escape(title)).append("</h1>\n");
            for (String s : body) b.append(s).append('\n');
            b.append("<footer><p>Generated by otfuse on ")
                    .append(Html.escape(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)))
                    .append(". Self-contained: no external files.</p>\n")
                    .append("<p id=\"otfuse-image-check\" class=\"check\" data-state=\"pending\" data-images=\"").append(images).append("\"></p></footer>\n")
                    .append("</main>\n<script>\n").append(SCRIPT).append("</script>\n</body>\n</html>\n");
            return b.toString();
        }

        /** Writes the page atomically (temporary file, then rename); creates the parent folder. Returns the path. */
        public Path write(Path file) {
            Path parent = file.toAbsolutePath().getParent();
            try {
                Files.createDirectories(parent);
            } catch (java.io.IOException e) {
                throw new io.otfuse.io.OtfuseException(io.otfuse.io.ExitCode.IO_FAILURE, parent + ": cannot create folder (" + e.getMessage() + ")", e);
            }
            AtomicFiles.writeString(file, build());
            return file;
        }
    }

    static final String CSS = """
            body { margin: 0; background: #f6f7f9; color: #1d2330; font: 15px/1.5 "DejaVu Sans", system-ui, sans-serif; }
            main { max-width: 1040px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; min-height: 100vh; }
            h1 { font-size: 26px; margin: 8px 0 16px; }
            h2 { font-size: 20px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #e2e5ea; }
            h3 { font-size: 16px; margin: 20px 0 6px; }
            table { border-collapse: collapse; margin: 12px 0 20px; font-size: 13px; }
            caption { text-align: left; font-weight: bold; padding: 4px 0; }
            th, td { border: 1px solid #d8dce3; padding: 4px 9px; }
            th { background: #eef1f5; text-align: left; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; }
            tbody tr:nth-child(even) { background: #fafbfc; }
            figure { margin: 12px 0 20px; }
            img { max-width: 100%; height: auto; border: 1px solid #eceef2; }
            pre { background: #f3f4f6; padding: 8px 12px; overflow-x: auto; font-size: 13px; }
            footer { margin-top: 40px; color: #6b7280; font-size: 12px; }
            .check[data-state="broken"] { color: #b91c1c; font-weight: bold; }
            """;

    static final String SCRIPT = """
            window.addEventListener('load', function () {
              var imgs = document.images, decoded = 0, broken = [];
              for (var i = 0; i < imgs.length; i++) {
                var im = imgs[i];
                if (im.complete && im.naturalWidth > 0) {
                  decoded++;
                  im.setAttribute('data-decoded', im.naturalWidth + 'x' + im.naturalHeight);
                } else {
                  broken.push(im.alt || ('image ' + (i + 1)));
                }
              }
              var el = document.getElementById('otfuse-image-check');
              el.setAttribute('data-state', broken.length ? 'broken' : 'ok');
              el.textContent = broken.length
                ? 'Images that did not decode: ' + broken.join(', ')
                : 'All ' + decoded + ' images decoded.';
            });
            """;
}
