package io.otfuse.report;

import java.util.Locale;

/** Escaping and number formatting for the HTML report. */
public final class Html {
    private Html() {}

    /** Escapes text for element content and double- or single-quoted attribute values. */
    public static String escape(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> {
                    // control characters other than tab/newline are not allowed in HTML text
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') b.append('\uFFFD');
                    else b.append(c);
                }
            }
        }
        return b.toString();
    }

    /** A table cell's text: numbers with 4 significant digits (integers as they are), null as empty, NaN as a dash. */
    public static String cell(Object v) {
        if (v == null) return "";
        if (v instanceof Double d) return number(d);
        if (v instanceof Float f) return number(f.doubleValue());
        return v.toString();
    }

    /** 4 significant digits; integral values without decimals; NaN as "–"; very small or large values in E notation. */
    public static String number(double d) {
        if (Double.isNaN(d)) return "\u2013";
        if (Double.isInfinite(d)) return d > 0 ? "\u221e" : "-\u221e";
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        double a = Math.abs(d);
        if (a != 0 && (a < 1e-3 || a >= 1e6)) return String.format(Locale.ROOT, "%.3e", d);
        String s = String.format(Locale.ROOT, "%.4g", d);
        if (s.contains(".") && !s.contains("e")) s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        return s;
    }
}
