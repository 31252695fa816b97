package io.otfuse.report;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChartsTest {
    static BufferedImage decode(byte[] png) throws Exception {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        assertNotNull(img, "not a decodable image");
        return img;
    }

    /** Every {@code data:image/png;base64} URI of a page, decoded. */
    static List<BufferedImage> images(String html) throws Exception {
        List<BufferedImage> out = new ArrayList<>();
        Matcher m = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
        while (m.find()) out.add(decode(Base64.getDecoder().decode(m.group(1))));
        return out;
    }

    @Test
    void lineAndBarChartsArePngsOfTheChartSize() throws Exception {
        Map<String, double[][]> s = new LinkedHashMap<>();
        s.put("a", new double[][] {{0.01, 0.1, 1}, {0.5, 0.7, 0.6}});
        s.put("b", new double[][] {{0.01, Double.NaN, 1, -1}, {0.4, 0.2, Double.POSITIVE_INFINITY, 0.3}});
        BufferedImage line = decode(Charts.line("t", "x", "y", true, s));
        assertEquals(Charts.WIDTH, line.getWidth());
        assertEquals(Charts.HEIGHT, line.getHeight());
        BufferedImage bar = decode(Charts.bar("t", "y", List.of("p", "q"), Map.of("before", new double[] {1, Double.NaN}, "after", new double[] {0.5, 0.2})));
        assertEquals(Charts.WIDTH, bar.getWidth());
        assertEquals(Charts.HEIGHT, bar.getHeight());
        assertNull(Charts.line("t", "x", "y", true, Map.of("neg", new double[][] {{-1, 0}, {1, 2}})), "nothing to draw on a log axis");
        assertThrows(IllegalArgumentException.class, () -> Charts.line("t", "x", "y", false, Map.of("bad", new double[][] {{1, 2}, {1}})));
        assertThrows(IllegalArgumentException.class, () -> Charts.bar("t", "y", List.of("p"), Map.of("bad", new double[] {1, 2})));
    }

    @Test
    void heatmapCellsHaveTheScaleColoursAndTheExpectedSize() throws Exception {
        BufferedImage img = decode(Charts.heatmap("h", "x", "y", new double[][] {{0, 1}, {1, 0.5}}));
        int cell = 256; // 512 / 2
        int left = 56, top = 40;
        assertEquals(left + 2 * cell + 110, img.getWidth());
        assertEquals(top + 2 * cell + 44, img.getHeight());
        assertEquals(Charts.colour(0), img.getRGB(left + cell / 2, top + cell / 2) & 0xffffff, "row 0 col 0 = minimum");
        assertEquals(Charts.colour(1), img.getRGB(left + cell + cell / 2, top + cell / 2) & 0xffffff, "row 0 col 1 = maximum");
        assertEquals(Charts.colour(0.5), img.getRGB(left + cell + cell / 2, top + cell + cell / 2) & 0xffffff);
        assertEquals(0x440154, Charts.colour(0));
        assertEquals(0xfde725, Charts.colour(1));
        assertThrows(IllegalArgumentException.class, () -> Charts.heatmap("h", "x", "y", new double[2000][2000]));
    }

    @Test
    void pageImagesDecodeToTheirSizesAndHeatmapsAreDownsampled() throws Exception {
        double[][] big = new double[300][200];
        for (int i = 0; i < 300; i++) big[i][i % 200] = 1;
        String html = HtmlReport.builder().title("imgs")
                .lineChart("l", "x", "y", false, Map.of("s", new double[][] {{1, 2, 3}, {1, 4, 9}}))
                .barChart("b", "y", List.of("u", "v"), Map.of("s", new double[] {1, 2}))
                .heatmap("big", big, 64)
                .heatmap("plan", "anchor", "model", new double[3072 * 3072], 3072, 3072, 128)
                .build();
        List<BufferedImage> imgs = images(html);
        assertEquals(4, imgs.size());
        assertEquals(Charts.WIDTH, imgs.get(0).getWidth());
        assertEquals(Charts.HEIGHT, imgs.get(1).getHeight());
        // 300 x 200 into at most 64: blocks of 5 rows (60) and 4 columns (50); cells of 512/60 = 8 px
        assertEquals(56 + 50 * 8 + 110, imgs.get(2).getWidth());
        assertEquals(40 + 60 * 8 + 44, imgs.get(2).getHeight());
        // 3072 x 3072 into 128 x 128 cells of 4 px
        assertEquals(56 + 512 + 110, imgs.get(3).getWidth());
        assertEquals(40 + 512 + 44, imgs.get(3).getHeight());
        assertTrue(html.length() < 400_000, "page of " + html.length() + " chars");
    }
}
