package io.otfuse.report;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Renders a full report in headless Chromium (Debian package {@code chromium}, installed by the ./test script;
 * {@code OTFUSE_CHROMIUM} overrides the path): the table text must be in the DOM after load and every image must
 * have decoded, at the size Java decodes it to. The screenshot is kept at {@code target/report-screenshot.png}.
 */
class ChromiumReportTest {
    static final Path TARGET = Path.of("target");

    static Path chromium() {
        String env = System.getenv("OTFUSE_CHROMIUM");
        Path p = Path.of(env != null && !env.isBlank() ? env : "/usr/bin/chromium");
        if (!Files.isExecutable(p)) fail(p + " not found: install the Debian package chromium (the ./test script does), or set OTFUSE_CHROMIUM");
        return p;
    }

    /** Runs headless Chromium on a file; returns the DOM after load (scripts run) and writes the screenshot if asked. */
    static String render(Path html, Path screenshot) throws Exception {
        Path work = Files.createTempDirectory("otfuse-chromium-");
        try {
            List<String> cmd = new ArrayList<>(List.of(chromium().toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--user-data-dir=" + work.resolve("profile"), "--virtual-time-budget=5000",
                    "--window-size=1280,2000"));
            if (screenshot != null) cmd.add("--screenshot=" + screenshot.toAbsolutePath());
            cmd.add("--dump-dom");
            cmd.add(html.toAbsolutePath().toUri().toString());
            Path out = work.resolve("stdout"), err = work.resolve("stderr");
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                fail("chromium did not finish in 90 s; stderr:\n" + tail(err));
            }
            String dom = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0 || dom.isBlank()) fail("chromium exited " + p.exitValue() + "; stderr:\n" + tail(err));
            return dom;
        } finally {
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    static String tail(Path f) throws IOException {
        String s = Files.exists(f) ? Files.readString(f) : "";
        return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
    }

    static String checkState(String dom) {
        Matcher m = Pattern.compile("<p id=\"otfuse-image-check\"[^>]*data-state=\"(\\w+)\"[^>]*>([^<]*)</p>").matcher(dom);
        assertTrue(m.find(), "no image-check element in the DOM");
        return m.group(1) + ": " + m.group(2);
    }

    @Test
    void reportRendersWithAllImagesDecoded() throws Exception {
        Path dir = TARGET.resolve("report-test");
        HtmlReport.Builder b = SampleReport.build(dir.resolve("fused"));
        Path html = b.write(dir.resolve("report.html"));
        String page = Files.readString(html);
        List<BufferedImage> expected = ChartsTest.images(page);
        assertEquals(b.images(), expected.size());
        assertTrue(expected.size() >= 7, "results, sweep, curves, costs and heatmaps: " + expected.size());

        Path shot = TARGET.resolve("report-screenshot.png");
        Files.deleteIfExists(shot);
        String dom = render(html, shot);

        // tables are in the DOM, text escaped once
        assertTrue(dom.contains("<td>OT soft (activations)</td>"), "results table");
        assertTrue(dom.contains("<td class=\"num\">88.01</td>"), "finetuned accuracy");
        assertTrue(dom.contains("<td>mlp@0</td>") && dom.contains("sinkhorn(0.06)"), "fusion space table");
        assertTrue(dom.contains("ViT on Fashion-MNIST &lt;test &amp; check&gt;"), "escaped title");

        // every image decoded, at the size Java decodes its PNG to
        assertEquals("ok: All " + expected.size() + " images decoded.", checkState(dom));
        Matcher m = Pattern.compile("<img [^>]*data-decoded=\"(\\d+)x(\\d+)\"").matcher(dom);
        int i = 0;
        while (m.find()) {
            assertTrue(i < expected.size(), "more decoded images than in the page");
            assertEquals(expected.get(i).getWidth() + "x" + expected.get(i).getHeight(), m.group(1) + "x" + m.group(2), "image " + i);
            i++;
        }
        assertEquals(expected.size(), i, "images with data-decoded");

        BufferedImage s = ImageIO.read(shot.toFile());
        assertNotNull(s, "screenshot");
        assertEquals(1280, s.getWidth());
        assertEquals(2000, s.getHeight());
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < s.getHeight(); y += 7) for (int x = 0; x < s.getWidth(); x += 7) colours.add(s.getRGB(x, y));
        assertTrue(colours.size() > 50, "screenshot looks blank (" + colours.size() + " colours)");
    }

    @Test
    void brokenImagesAreReported() throws Exception {
        String page = HtmlReport.builder().title("broken").image("not a png", new byte[] {1, 2, 3})
                .lineChart("fine", "x", "y", false, java.util.Map.of("s", new double[][] {{1, 2}, {1, 2}})).build();
        Path html = TARGET.resolve("report-test/broken.html");
        Files.createDirectories(html.getParent());
        Files.writeString(html, page);
        assertEquals("broken: Images that did not decode: not a png", checkState(render(html, null)));
    }
}
