package io.otfuse.model.data;

import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Image data sets: IDX folders (MNIST / Fashion-MNIST layout, gzipped or not) and CIFAR-10/100 binary
 * batches. A data SPEC is {@code fashion-mnist} (the Debian dataset-fashion-mnist location), a folder
 * (IDX or CIFAR, detected from the file names), or {@code cifar10:DIR} / {@code cifar100:DIR}, optionally
 * followed by {@code @train} or {@code @test}.
 */
public final class ImageData {
    public static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
    public static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot");
    public static final List<String> CIFAR10_CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
            "horse", "ship", "truck");

    private ImageData() {}

    /** Loads the split named in the spec, or {@code defaultSplit} ("train" / "test") when it names none. */
    public static ImageSet load(String spec, String defaultSplit) {
        String split = defaultSplit;
        String s = spec;
        int at = s.lastIndexOf('@');
        if (at > 0) {
            split = s.substring(at + 1);
            s = s.substring(0, at);
        }
        if (!split.equals("train") && !split.equals("test")) {
            throw new OtfuseException(ExitCode.USAGE, "--data " + spec + ": split must be @train or @test, got @" + split);
        }
        boolean train = split.equals("train");
        if (s.equals("fashion-mnist") || s.equals("fashion_mnist")) return idx(FASHION_MNIST, train, FASHION_CLASSES);
        if (s.startsWith("cifar10:")) return cifar(Path.of(s.substring(8)), train, false);
        if (s.startsWith("cifar100:")) return cifar(Path.of(s.substring(9)), train, true);
        Path dir = Path.of(s);
        if (!Files.isDirectory(dir)) {
            throw new OtfuseException(ExitCode.DATA, "--data " + spec + ": not a folder (expected fashion-mnist, an IDX or CIFAR folder, cifar10:DIR or cifar100:DIR)");
        }
        if (find(dir, train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte") != null) return idx(dir, train, null);
        if (Files.exists(dir.resolve("data_batch_1.bin")) || Files.exists(dir.resolve("test_batch.bin"))) return cifar(dir, train, false);
        if (Files.exists(dir.resolve("train.bin")) || Files.exists(dir.resolve("test.bin"))) return cifar(dir, train, true);
        throw new OtfuseException(ExitCode.DATA, dir + ": no IDX files ({train,t10k}-images-idx3-ubyte[.gz]) or CIFAR batches (data_batch_*.bin, test_batch.bin, train.bin, test.bin)");
    }

    static Path find(Path dir, String base) {
        for (String suffix : List.of("", ".gz")) {
            Path p = dir.resolve(base + suffix);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    static byte[] readMaybeGz(Path p) {
        try (InputStream raw = Files.newInputStream(p)) {
            InputStream in = p.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.DATA, p + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** Reads an IDX folder's train or test split. */
    public static ImageSet idx(Path dir, boolean train, List<String> classes) {
        String pre = train ? "train" : "t10k";
        Path ip = find(dir, pre + "-images-idx3-ubyte"), lp = find(dir, pre + "-labels-idx1-ubyte");
        if (ip == null || lp == null) {
            throw new OtfuseException(ExitCode.DATA, dir + ": missing " + pre + "-images-idx3-ubyte[.gz] or " + pre + "-labels-idx1-ubyte[.gz]");
        }
        byte[] ib = readMaybeGz(ip), lb = readMaybeGz(lp);
        try {
            DataInputStream di = new DataInputStream(new java.io.ByteArrayInputStream(ib));
            if (di.readInt() != 0x00000803) throw new OtfuseException(ExitCode.DATA, ip + ": not an IDX3 unsigned-byte file (bad magic)");
            int n = di.readInt(), h = di.readInt(), w = di.readInt();
            DataInputStream dl = new DataInputStream(new java.io.ByteArrayInputStream(lb));
            if (dl.readInt() != 0x00000801) throw new OtfuseException(ExitCode.DATA, lp + ": not an IDX1 unsigned-byte file (bad magic)");
            int nl = dl.readInt();
            if (nl != n) throw new OtfuseException(ExitCode.DATA, lp + ": " + nl + " labels for " + n + " images");
            if (ib.length != 16 + (long) n * h * w) throw new OtfuseException(ExitCode.DATA, ip + ": truncated (" + ib.length + " bytes for " + n + " images of " + h + "x" + w + ")");
            if (lb.length != 8 + n) throw new OtfuseException(ExitCode.DATA, lp + ": truncated");
            byte[] px = java.util.Arrays.copyOfRange(ib, 16, ib.length);
            int[] labels = new int[n];
            int max = 0;
            for (int i = 0; i < n; i++) max = Math.max(max, labels[i] = lb[8 + i] & 0xff);
            List<String> names = classes;
            if (names == null || names.size() <= max) {
                names = new ArrayList<>();
                for (int i = 0; i <= max; i++) names.add(Integer.toString(i));
            }
            return new ImageSet(dir.getFileName() + (train ? "@train" : "@test"), px, labels, 1, h, w, names);
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.DATA, ip + ": malformed IDX (" + e.getMessage() + ")", e);
        }
    }

    /** CIFAR-10 ({@code data_batch_1..5.bin}, {@code test_batch.bin}) or CIFAR-100 ({@code train.bin}, {@code test.bin}; fine labels). */
    public static ImageSet cifar(Path dir, boolean train, boolean hundred) {
        List<Path> files = new ArrayList<>();
        if (hundred) files.add(dir.resolve(train ? "train.bin" : "test.bin"));
        else if (train) for (int i = 1; i <= 5; i++) files.add(dir.resolve("data_batch_" + i + ".bin"));
        else files.add(dir.resolve("test_batch.bin"));
        int rec = (hundred ? 2 : 1) + 3072;
        ByteArrayOutputStream px = new ByteArrayOutputStream();
        List<Integer> labels = new ArrayList<>();
        for (Path f : files) {
            if (!Files.isRegularFile(f)) throw new OtfuseException(ExitCode.DATA, f + ": missing CIFAR batch file");
            byte[] b = readMaybeGz(f);
            if (b.length % rec != 0) throw new OtfuseException(ExitCode.DATA, f + ": size " + b.length + " is not a multiple of the " + rec + "-byte record");
            for (int o = 0; o < b.length; o += rec) {
                labels.add(b[o + (hundred ? 1 : 0)] & 0xff);
                px.write(b, o + rec - 3072, 3072);
            }
        }
        List<String> names = hundred ? null : CIFAR10_CLASSES;
        if (names == null) {
            names = new ArrayList<>();
            for (int i = 0; i < 100; i++) names.add(Integer.toString(i));
        }
        return new ImageSet(dir.getFileName() + (train ? "@train" : "@test"), px.toByteArray(), labels.stream().mapToInt(Integer::intValue).toArray(),
                3, 32, 32, names);
    }
}
