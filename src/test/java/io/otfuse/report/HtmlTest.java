package io.otfuse.report;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HtmlTest {
    static final String EVIL = "<script>alert('x')</script> & \"q\" <img src=x onerror=alert(1)>";

    @Test
    void escapesMarkupQuotesAndAmpersands() {
        assertEquals("&lt;b&gt;a &amp; b&lt;/b&gt; &quot;c&quot; &#39;d&#39;", Html.escape("<b>a & b</b> \"c\" 'd'"));
        assertEquals("&amp;amp;", Html.escape("&amp;"));
        assertEquals("a\uFFFDb\tc\nd", Html.escape("a\u0001b\tc\nd"));
        assertEquals("", Html.escape(null));
        assertEquals("λ ≥ 0.1 → ok", Html.escape("λ ≥ 0.1 → ok"));
    }

    @Test
    void formatsNumbers() {
        assertEquals("3", Html.number(3.0));
        assertEquals("0.8512", Html.number(0.85123456));
        assertEquals("0.5", Html.number(0.5));
        assertEquals("12.35", Html.number(12.3456));
        assertEquals("1.700e-15", Html.number(1.7e-15));
        assertEquals("\u2013", Html.number(Double.NaN));
        assertEquals("", Html.cell(null));
        assertEquals("7", Html.cell(7));
    }

    @Test
    void everyTextOfThePageIsEscaped() {
        String html = HtmlReport.builder().title(EVIL).heading(EVIL).subheading(EVIL).paragraph(EVIL).code(EVIL)
                .table(EVIL, List.of(EVIL, "n"), List.of(Arrays.asList(EVIL, 1.5), Arrays.asList(null, Double.NaN)))
                .keyValues(EVIL, Map.of(EVIL, EVIL))
                .lineChart(EVIL, EVIL, EVIL, false, Map.of(EVIL, new double[][] {{1, 2}, {3, 4}}))
                .build();
        assertFalse(html.contains("<script>alert"), "raw script tag from text");
        assertFalse(html.contains("<img src=x"), "raw img tag from text");
        assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"));
        // exactly the report's own script and one image
        assertEquals(1, count(html, "<script>"));
        assertEquals(1, count(html, "<img "));
        assertTrue(html.contains("<td class=\"num\">1.5</td>"));
        assertFalse(html.contains("http://") || html.contains("https://"), "no external reference");
    }

    @Test
    void rejectsRowsWiderThanTheHeader() {
        assertThrows(IllegalArgumentException.class,
                () -> HtmlReport.builder().table("t", List.of("a"), List.of(List.of(1, 2))));
    }

    @Test
    void writesAtomicallyAndCreatesTheFolder(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path f = dir.resolve("sub/report.html");
        HtmlReport.Builder b = HtmlReport.builder().title("T").paragraph("one");
        b.write(f);
        b.paragraph("two").write(f);
        String s = Files.readString(f);
        assertTrue(s.startsWith("<!DOCTYPE html>") && s.contains("<p>two</p>"));
        try (var l = Files.list(f.getParent())) {
            assertEquals(List.of(f), l.toList(), "no temporary file left");
        }
    }

    static int count(String s, String sub) {
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) n++;
        return n;
    }
}
