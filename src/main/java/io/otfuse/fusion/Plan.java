package io.otfuse.fusion;

import io.otfuse.fusion.spec.ArchSpec;
import java.util.List;
import java.util.Map;

/**
 * The ordered steps of a fusion: every transported space once, in dependency order, with its rule, and every
 * tensor with the spaces of its axes. Built by {@link Planner}; run by {@link Executor}.
 */
public record Plan(String family, List<Space> spaces, List<Tensor> tensors, Map<String, String> aliases, List<String> notes) {

    public enum Rule { SOLVE, JOIN }

    /** One source of features for a solved space: a tensor and the axis that indexes the space's neurons. */
    public record Source(String tensor, int axis, int block) {}

    /**
     * A space to compute. {@code members} are the spec spaces that share its map; {@code input} is the space the
     * first source reads (for {@code sinkhorn-widening}); {@code taps} are module names whose outputs give
     * activations (solve: one tap per member; join: one per input).
     */
    public record Space(String id, String size, Rule rule, List<Source> sources, List<String> joinInputs, List<String> members,
                        String input, boolean heads, List<String> taps, int layer, boolean lastLayerCls, int blocks) {}

    /**
     * A tensor and the planned space of each axis ({@code null} = fixed). In a stacked space (joint Q/K) an axis
     * holds block {@code blocks[a]} of the space, and {@code partners[a]} is the tensor holding the other block.
     */
    public record Tensor(String name, List<String> spaces, List<ArchSpec.Dir> dirs, int layer, int readyAfter,
                         List<Integer> blocks, List<String> partners) {
        public boolean encoder() {
            return layer >= 0;
        }
    }

    public Space space(String id) {
        for (Space s : spaces) if (s.id().equals(id)) return s;
        return null;
    }
}
