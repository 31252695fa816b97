package io.otfuse.report;

import io.otfuse.io.OtfuseException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResultSectionsTest {
    @Test
    void readsTrainerStateHistory() throws Exception {
        TrainingCurve c = TrainingCurve.fromTrainerState(FusionReportViewTest.resource("trainer_state.json"));
        assertArrayEquals(new double[] {1, 2, 3}, c.epochs());
        assertEquals(List.of("train_loss", "test_accuracy", "test_loss"), List.copyOf(c.metrics().keySet()));
        assertArrayEquals(new double[] {0.7712, 0.8203, 0.8431}, c.metric("test_accuracy"));
        assertTrue(Double.isNaN(c.metric("test_loss")[2]), "missing value is NaN");
    }

    @Test
    void trainerStateErrorsNameTheFile(@TempDir Path dir) throws Exception {
        OtfuseException e = assertThrows(OtfuseException.class, () -> TrainingCurve.fromTrainerState(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("trainer_state.json").toString()), e.getMessage());
        Files.writeString(dir.resolve("trainer_state.json"), "{}");
        e = assertThrows(OtfuseException.class, () -> TrainingCurve.fromTrainerState(dir));
        assertTrue(e.getMessage().contains("no \"history\""), e.getMessage());
    }

    @Test
    void sectionsRenderTablesAndCharts() throws Exception {
        List<ResultSections.ModelResult> r = List.of(new ResultSections.ModelResult("parent", 0.87654, Double.NaN, 90),
                new ResultSections.ModelResult("OT", 0.6, 0.88, 3.25));
        HtmlReport.Builder b = HtmlReport.builder();
        ResultSections.resultsTable(b, "Results", "accuracy", true, r);
        ResultSections.resultsChart(b, "Results", "accuracy", true, r);
        ResultSections.lambdaSweep(b, "sweep", "accuracy", Map.of("soft", new double[][] {{0.01, 0.1, 0}, {0.5, 0.6, 0.9}}), Map.of("vanilla", 0.1));
        TrainingCurve c = TrainingCurve.fromTrainerState(FusionReportViewTest.resource("trainer_state.json"));
        ResultSections.finetuneCurves(b, "Finetuning", Map.of("run", c), List.of("test_accuracy", "test_loss", "absent"));
        String html = b.build();
        assertTrue(html.contains("<th>accuracy one-shot (%)</th>"));
        assertTrue(html.contains("<tr><td>parent</td><td class=\"num\">87.65</td><td class=\"num\">\u2013</td><td class=\"num\">90</td></tr>"), html);
        assertEquals(4, b.images(), "bars, sweep, two curves");
        assertTrue(html.contains("<p>Finetuning: absent: no data.</p>"));
        assertEquals(4, ChartsTest.images(html).size());
        assertThrows(IllegalArgumentException.class, () -> new TrainingCurve(new double[] {1, 2}, Map.of("a", new double[] {1})));
    }
}
