package io.otfuse.demo;

import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.model.data.ImageData;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Makes sure Fashion-MNIST (Debian package dataset-fashion-mnist) is installed: installs it when allowed, else says how. */
public final class DataCheck {
    public static final String PACKAGE = "dataset-fashion-mnist";
    static final String[] FILES = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

    private DataCheck() {}

    public static boolean present(Path dir) {
        for (String f : FILES) {
            if (!Files.isRegularFile(dir.resolve(f)) && !Files.isRegularFile(dir.resolve(f + ".gz"))) return false;
        }
        return true;
    }

    public static void ensureFashionMnist(PrintStream log) {
        Path dir = ImageData.FASHION_MNIST;
        if (present(dir)) return;
        String cmd = "sudo apt-get install -y " + PACKAGE;
        List<String> prefix = new ArrayList<>();
        if (!isRoot()) {
            if (!runs(List.of("sudo", "-n", "true"))) {
                throw new OtfuseException(ExitCode.DATA, dir + ": Fashion-MNIST is not installed; install it with: " + cmd);
            }
            prefix.add("sudo");
            prefix.add("-n");
        }
        log.printf("Fashion-MNIST is missing; installing the Debian package %s ...%n", PACKAGE);
        List<String> install = new ArrayList<>(prefix);
        install.addAll(List.of("apt-get", "install", "-y", "-q", PACKAGE));
        if (!runs(install)) {
            List<String> update = new ArrayList<>(prefix);
            update.addAll(List.of("apt-get", "update", "-q"));
            runs(update);
            runs(install);
        }
        if (!present(dir)) throw new OtfuseException(ExitCode.DATA, dir + ": installing " + PACKAGE + " failed; install it with: " + cmd);
    }

    static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return uid instanceof Integer i && i == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    static boolean runs(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).inheritIO().redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
