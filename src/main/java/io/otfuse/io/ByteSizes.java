package io.otfuse.io;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses sizes such as {@code 5GB}, {@code 500MB}, {@code 2GiB} or a plain byte count. */
public final class ByteSizes {
    private static final Pattern SIZE = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*([KMGT]?I?B?)");

    private ByteSizes() {}

    /** Bytes in {@code text}; decimal units (KB = 1000) and binary ones (KiB = 1024), as HF tools accept. */
    public static long parse(String text, String option) {
        Matcher m = SIZE.matcher(text.trim().toUpperCase(Locale.ROOT));
        if (!m.matches()) throw new OtfuseException(ExitCode.USAGE, option + ": '" + text + "' is not a size (examples: 5GB, 500MB, 2GiB, 1000000)");
        double v = Double.parseDouble(m.group(1));
        String u = m.group(2);
        boolean binary = u.contains("I");
        double base = binary ? 1024 : 1000;
        int power = u.isEmpty() || u.equals("B") ? 0 : "KMGT".indexOf(u.charAt(0)) + 1;
        double bytes = v * Math.pow(base, power);
        if (!(bytes >= 1) || bytes > Long.MAX_VALUE / 2) throw new OtfuseException(ExitCode.USAGE, option + ": '" + text + "' must be at least one byte");
        return (long) bytes;
    }
}
