/**
 * Self-contained HTML reports: one {@code report.html} with inline CSS and charts as PNG {@code data:} URIs, no
 * external file and no network.
 *
 * <ul>
 *   <li>{@link io.otfuse.report.HtmlReport}: the page builder (headings, paragraphs, tables, line/bar charts via
 *       XChart, heatmaps via Java2D after {@link io.otfuse.report.Downsample} block means); {@code build()} gives the
 *       text, {@code write(Path)} writes it atomically. An inline script marks broken images on load.</li>
 *   <li>{@link io.otfuse.report.FusionReportView}: a fused checkpoint's {@code fusion-report.json} (and the optional
 *       {@link io.otfuse.report.FusionMaps} sidecar {@code fusion-maps.json} of downsampled transport maps) as a
 *       summary, a per-space table, cost bars before/after alignment and transport-map heatmaps.</li>
 *   <li>{@link io.otfuse.report.ResultSections}: results table and bars (model, one-shot, after finetune, time), the
 *       λ sweep on a log axis, finetuning curves per metric from {@link io.otfuse.report.TrainingCurve}s (e.g. read
 *       from {@code trainer_state.json}).</li>
 * </ul>
 */
package io.otfuse.report;
