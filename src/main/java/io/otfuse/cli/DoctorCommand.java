package io.otfuse.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Checks that the tensor engine loads offline and computes correctly. */
@Command(name = "doctor", description = "Check the tensor engine: load it offline and verify a matrix product.")
public final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        System.setProperty("ai.djl.offline", "true");
        Engine engine = Engine.getEngine("PyTorch");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {1, 2, 3, 4, 5, 6}, new ai.djl.ndarray.types.Shape(2, 3));
            NDArray b = m.create(new float[] {7, 8, 9, 10, 11, 12}, new ai.djl.ndarray.types.Shape(3, 2));
            float[] c = a.matMul(b).toFloatArray();
            float[] expected = {58, 64, 139, 154};
            boolean ok = java.util.Arrays.equals(c, expected);
            var out = spec.commandLine().getOut();
            out.println("engine: " + engine.getEngineName() + " " + engine.getVersion() + ", devices: " + engine.getDevices().length
                    + ", offline: " + ai.djl.util.Utils.isOfflineMode());
            out.println("matmul [2x3]x[3x2] = " + java.util.Arrays.toString(c) + (ok ? " ok" : " WRONG"));
            return ok ? 0 : 1;
        }
    }
}
