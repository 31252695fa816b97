package io.otfuse.reproduce;

import io.otfuse.io.AtomicFiles;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.report.HtmlReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The write-up of a study, built once and written three ways: {@code RESULTS.md} (markdown tables ready to paste,
 * charts as PNG files under {@code plots/}), {@code report.html} (one self-contained page: the same tables, the
 * charts embedded, plus HTML-only parts such as fusion reports) and the tables inside {@code results.json}.
 */
final class StudyDoc {
    sealed interface Item permits Heading, Para, Table, Chart, Code, HtmlOnly {}

    record Heading(String text, int level) implements Item {}

    record Para(String text) implements Item {}

    record Code(String text) implements Item {}

    /** A table of already formatted cells. */
    record Table(String id, String caption, List<String> headers, List<List<String>> rows) implements Item {}

    /** A chart: {@code name} is its PNG file name (without extension); png may be null (no data). */
    record Chart(String name, String title, byte[] png) implements Item {}

    record HtmlOnly(Consumer<HtmlReport.Builder> part) implements Item {}

    private final String title;
    private final List<Item> items = new ArrayList<>();

    StudyDoc(String title) {
        this.title = title;
    }

    StudyDoc heading(String text) {
        items.add(new Heading(text, 2));
        return this;
    }

    StudyDoc subheading(String text) {
        items.add(new Heading(text, 3));
        return this;
    }

    StudyDoc para(String text) {
        items.add(new Para(text));
        return this;
    }

    StudyDoc code(String text) {
        items.add(new Code(text));
        return this;
    }

    StudyDoc table(String id, String caption, List<String> headers, List<List<String>> rows) {
        items.add(new Table(id, caption, headers, rows));
        return this;
    }

    StudyDoc chart(String name, String title, byte[] png) {
        items.add(new Chart(name, title, png));
        return this;
    }

    StudyDoc htmlOnly(Consumer<HtmlReport.Builder> part) {
        items.add(new HtmlOnly(part));
        return this;
    }

    List<Table> tables() {
        return items.stream().filter(i -> i instanceof Table).map(i -> (Table) i).toList();
    }

    /** Markdown; charts become image links {@code plotPrefix + name + ".png"}. */
    String markdown(String plotPrefix) {
        StringBuilder b = new StringBuilder("## " + title + "\n\n");
        for (Item it : items) {
            if (it instanceof Heading h) {
                b.append("#".repeat(h.level() + 1)).append(' ').append(h.text()).append("\n\n");
            } else if (it instanceof Para p) {
                b.append(p.text()).append("\n\n");
            } else if (it instanceof Code c) {
                b.append("```sh\n").append(c.text()).append(c.text().endsWith("\n") ? "" : "\n").append("```\n\n");
            } else if (it instanceof Table t) {
                if (t.caption() != null && !t.caption().isEmpty()) b.append(t.caption()).append(":\n\n");
                b.append('|');
                for (String h : t.headers()) b.append(' ').append(md(h)).append(" |");
                b.append("\n|");
                for (int i = 0; i < t.headers().size(); i++) b.append("---|");
                b.append('\n');
                for (List<String> r : t.rows()) {
                    b.append('|');
                    for (int i = 0; i < t.headers().size(); i++) b.append(' ').append(md(i < r.size() ? r.get(i) : "")).append(" |");
                    b.append('\n');
                }
                b.append('\n');
            } else if (it instanceof Chart c && c.png() != null) {
                b.append("![").append(c.title()).append("](").append(plotPrefix).append(c.name()).append(".png)\n\n");
            }
        }
        return b.toString();
    }

    private static String md(String s) {
        return s == null ? "" : s.replace("|", "\\|").replace("\n", " ");
    }

    void writePlots(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, dir + ": cannot create (" + e.getMessage() + ")", e);
        }
        for (Item it : items) if (it instanceof Chart c && c.png() != null) AtomicFiles.writeBytes(dir.resolve(c.name() + ".png"), c.png());
    }

    Path writeHtml(Path file) {
        HtmlReport.Builder b = HtmlReport.builder().title(title);
        for (Item it : items) {
            if (it instanceof Heading h) {
                if (h.level() <= 2) b.heading(h.text());
                else b.subheading(h.text());
            } else if (it instanceof Para p) {
                b.paragraph(p.text().replace("**", "").replace("`", ""));
            } else if (it instanceof Code c) {
                b.code(c.text());
            } else if (it instanceof Table t) {
                b.table(t.caption(), t.headers(), t.rows());
            } else if (it instanceof Chart c) {
                if (c.png() == null) b.paragraph(c.title() + ": no data.");
                else b.image(c.title(), c.png());
            } else if (it instanceof HtmlOnly h) {
                h.part().accept(b);
            }
        }
        return b.write(file);
    }
}
