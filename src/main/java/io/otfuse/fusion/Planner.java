package io.otfuse.fusion;

import io.otfuse.fusion.spec.ArchSpec;
import io.otfuse.fusion.spec.ArchSpec.Axis;
import io.otfuse.fusion.spec.ArchSpec.Kind;
import io.otfuse.fusion.spec.ArchSpec.SpaceDef;
import io.otfuse.fusion.spec.ArchSpec.TensorDef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns an expanded architecture spec and the options into a {@link Plan}. All topology choices live here:
 * which spec spaces share one map (shared residual stream, shared Q/K, cls token in the stream, tied
 * weights), the sources each solved space takes its cost from, and the order.
 */
public final class Planner {
    public static final String STREAM = "stream";

    private Planner() {}

    public static Plan plan(ArchSpec.Expanded spec, FusionOptions o) {
        Map<String, SpaceDef> defs = new LinkedHashMap<>();
        for (SpaceDef s : spec.spaces()) defs.put(s.name(), s);
        List<String> notes = new ArrayList<>();
        boolean shared = o.topology.equals("shared-stream");

        // 1. aliases: spec space -> planned space
        Map<String, String> alias = new HashMap<>();
        for (SpaceDef s : spec.spaces()) {
            if (shared && (s.stream() || s.kind() == Kind.JOIN) && !(s.name().equals("cls") && o.clsMap.equals("own"))) {
                alias.put(s.name(), STREAM);
            }
        }
        if (!shared && o.clsMap.equals("stream") && defs.containsKey("cls") && defs.containsKey("stream@0")) alias.put("cls", "stream@0");
        if (o.qk.equals("shared")) {
            for (SpaceDef s : spec.spaces()) {
                if ("k".equals(s.qk())) {
                    String q = s.name().replaceFirst("^k@", "q@");
                    if (defs.containsKey(q)) alias.put(s.name(), q);
                }
            }
        }
        Map<String, Integer> blockOf = new HashMap<>();
        if (o.qk.equals("joint")) {
            // one map over the stacked [Q; K] neurons: Q is block 0, K block 1
            for (SpaceDef s : spec.spaces()) {
                if ("q".equals(s.qk()) || "k".equals(s.qk())) {
                    String id = s.name().replaceFirst("^[qk]@", "qk@");
                    alias.put(s.name(), id);
                    blockOf.put(s.name(), "q".equals(s.qk()) ? 0 : 1);
                }
            }
        }
        if (o.qk.equals("joint") && o.headAware) notes.add("head-aware matching is off: joint Q/K has no head partition");
        for (SpaceDef s : spec.spaces()) {
            if (s.kind() == Kind.SAME) {
                alias.put(s.name(), s.same());
                notes.add("space '" + s.name() + "' uses the map of '" + s.same() + "'" + (spec.tied().isEmpty() ? "" : " (keeps tied weights tied)"));
            }
        }

        // 2. tensors with planned spaces
        List<TensorDef> tensors = spec.tensors();
        Map<String, List<String>> tensorSpaces = new LinkedHashMap<>();
        for (TensorDef t : tensors) {
            List<String> sp = new ArrayList<>();
            for (Axis a : t.axes()) sp.add(a.fixed() ? null : resolve(alias, a.space()));
            tensorSpaces.put(t.name(), sp);
        }

        // 3. members of each planned space, in spec order
        Map<String, List<SpaceDef>> members = new LinkedHashMap<>();
        for (SpaceDef s : spec.spaces()) members.computeIfAbsent(resolve(alias, s.name()), k -> new ArrayList<>()).add(s);

        // 4. order by dependencies (depth-first, spec order)
        List<Plan.Space> out = new ArrayList<>();
        Set<String> done = new HashSet<>();
        Set<String> visiting = new HashSet<>();
        for (String id : layerMajor(members)) emit(id, members, alias, blockOf, tensors, tensorSpaces, shared, out, done, visiting);

        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < out.size(); i++) index.put(out.get(i).id(), i);
        List<Plan.Tensor> planned = new ArrayList<>();
        for (TensorDef t : tensors) {
            List<String> sp = tensorSpaces.get(t.name());
            int ready = -1;
            List<ArchSpec.Dir> dirs = new ArrayList<>();
            List<Integer> blocks = new ArrayList<>();
            for (int a = 0; a < sp.size(); a++) {
                dirs.add(t.axes().get(a).dir());
                Axis ax = t.axes().get(a);
                blocks.add(ax.fixed() ? -1 : blockOf.getOrDefault(ax.space(), -1));
                if (sp.get(a) != null) {
                    Integer idx = index.get(sp.get(a));
                    if (idx == null) throw new IllegalStateException("spec: tensor " + t.name() + " uses unknown space " + sp.get(a));
                    ready = Math.max(ready, idx);
                }
            }
            planned.add(new Plan.Tensor(t.name(), sp, dirs, t.layer(), ready, blocks, null));
        }
        planned = withPartners(planned);
        Map<String, String> resolved = new LinkedHashMap<>();
        for (SpaceDef s : spec.spaces()) resolved.put(s.name(), resolve(alias, s.name()));
        return new Plan(spec.family(), List.copyOf(out), List.copyOf(planned), resolved, notes);
    }

    /**
     * The planned spaces layer by layer (all of layer 0's, then layer 1's, ...) instead of the spec's template order (every
     * layer's q, then every layer's v, ...); spaces outside the layers keep their place before or after them. Each map is
     * computed from the same inputs in either order, but layer by layer the tensors of a layer are ready as soon as its
     * maps are, so the fusing thread gets work spread over the run and each map is dropped sooner (lower peak memory).
     */
    static List<String> layerMajor(Map<String, List<SpaceDef>> members) {
        List<String> ids = new ArrayList<>(members.keySet());
        Map<String, Integer> layer = new HashMap<>(), pos = new HashMap<>();
        int firstLayered = ids.size();
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            int l = layerOf(members.get(id), id);
            layer.put(id, l);
            pos.put(id, i);
            if (l >= 0) firstLayered = Math.min(firstLayered, i);
        }
        int fl = firstLayered;
        // before the layers (0), the layers one by one (1), after them (2); spec order within each
        java.util.function.ToIntFunction<String> group = id -> layer.get(id) >= 0 ? 1 : pos.get(id) < fl ? 0 : 2;
        List<String> sorted = new ArrayList<>(ids);
        sorted.sort(java.util.Comparator.comparingInt(group).thenComparingInt(layer::get).thenComparingInt(pos::get));
        return sorted;
    }

    private static int layerOf(List<SpaceDef> ms, String id) {
        for (SpaceDef s : ms) if (s.name().equals(id)) return s.layer();
        return ms.get(0).layer();
    }

    /** For every axis in a stacked space, the tensor holding the other block with the same other axes. */
    private static List<Plan.Tensor> withPartners(List<Plan.Tensor> ts) {
        List<Plan.Tensor> out = new ArrayList<>();
        for (Plan.Tensor t : ts) {
            List<String> partners = new ArrayList<>();
            for (int a = 0; a < t.spaces().size(); a++) {
                String partner = null;
                if (t.blocks().get(a) >= 0) {
                    for (Plan.Tensor u : ts) {
                        if (u != t && u.spaces().equals(t.spaces()) && u.blocks().get(a) == 1 - t.blocks().get(a)) partner = u.name();
                    }
                    if (partner == null) throw new IllegalStateException("spec: no partner block for " + t.name());
                }
                partners.add(partner);
            }
            out.add(new Plan.Tensor(t.name(), t.spaces(), t.dirs(), t.layer(), t.readyAfter(), t.blocks(), partners));
        }
        return out;
    }

    private static String resolve(Map<String, String> alias, String name) {
        String r = name;
        for (int guard = 0; alias.containsKey(r) && guard < 100; guard++) r = alias.get(r);
        return r;
    }

    private static void emit(String id, Map<String, List<SpaceDef>> members, Map<String, String> alias, Map<String, Integer> blockOf, List<TensorDef> tensors,
                             Map<String, List<String>> tensorSpaces, boolean shared, List<Plan.Space> out, Set<String> done, Set<String> visiting) {
        if (done.contains(id)) return;
        if (!visiting.add(id)) throw new IllegalStateException("spec: spaces depend on each other in a cycle at " + id);
        List<SpaceDef> ms = members.get(id);
        if (ms == null) throw new IllegalStateException("spec: unknown space " + id);
        SpaceDef primary = ms.stream().filter(s -> s.name().equals(id)).findFirst().orElse(ms.get(0));
        boolean anySolve = ms.stream().anyMatch(s -> s.kind() == Kind.SOLVE);
        Plan.Space result;
        if (shared && id.equals(STREAM)) {
            // one stream space: features from every tensor on the stream whose other axes are fixed
            List<Plan.Source> sources = new ArrayList<>();
            for (TensorDef t : tensors) {
                List<String> sp = tensorSpaces.get(t.name());
                int axis = -1, count = 0;
                boolean others = true;
                for (int a = 0; a < sp.size(); a++) {
                    if (id.equals(sp.get(a))) {
                        axis = a;
                        count++;
                    } else if (sp.get(a) != null) {
                        others = false;
                    }
                }
                if (count == 1 && others) sources.add(new Plan.Source(t.name(), axis, 0));
            }
            List<String> taps = new ArrayList<>();
            for (SpaceDef s : ms) if (s.kind() == Kind.SOLVE && s.tap() != null) taps.add(s.tap());
            result = new Plan.Space(id, "hidden", Plan.Rule.SOLVE, sources, List.of(), names(ms), null, false, taps, -1, false, 1);
        } else if (primary.kind() == Kind.JOIN && !anySolve) {
            List<String> inputs = new ArrayList<>();
            for (String in : primary.join()) {
                String r = resolve(alias, in);
                emit(r, members, alias, blockOf, tensors, tensorSpaces, shared, out, done, visiting);
                inputs.add(r);
            }
            result = new Plan.Space(id, primary.size(), Plan.Rule.JOIN, List.of(), inputs, names(ms), null, false, primary.taps(), primary.layer(), false, 1);
        } else {
            List<Plan.Source> sources = new ArrayList<>();
            List<String> taps = new ArrayList<>();
            String input = null;
            for (SpaceDef s : ms) {
                if (s.kind() != Kind.SOLVE) continue;
                if (s.tap() != null) taps.add(s.tap());
                for (String tn : s.solve()) {
                    List<String> sp = tensorSpaces.get(tn);
                    if (sp == null) throw new IllegalStateException("spec: space " + s.name() + " solves from unknown tensor " + tn);
                    int axis = sp.indexOf(id);
                    if (axis < 0) throw new IllegalStateException("spec: tensor " + tn + " has no axis in space " + id);
                    for (int a = 0; a < sp.size(); a++) {
                        if (a != axis && sp.get(a) != null && !sp.get(a).equals(id)) {
                            emit(sp.get(a), members, alias, blockOf, tensors, tensorSpaces, shared, out, done, visiting);
                            if (input == null) input = sp.get(a);
                        }
                    }
                    sources.add(new Plan.Source(tn, axis, blockOf.getOrDefault(s.name(), 0)));
                }
            }
            // joint Q/K mixes query and key neurons, so there is no head partition to respect in any Q/K/V space
            boolean heads = ms.stream().allMatch(SpaceDef::heads) && blockOf.isEmpty();
            boolean llc = ms.stream().anyMatch(SpaceDef::lastLayerCls);
            int blocks = ms.stream().anyMatch(s -> blockOf.containsKey(s.name())) ? 2 : 1;
            result = new Plan.Space(id, primary.size(), Plan.Rule.SOLVE, sources, List.of(), names(ms), input, heads && blocks == 1, taps, primary.layer(), llc, blocks);
        }
        visiting.remove(id);
        done.add(id);
        out.add(result);
    }

    private static List<String> names(List<SpaceDef> ms) {
        List<String> r = new ArrayList<>();
        for (SpaceDef s : ms) r.add(s.name());
        return List.copyOf(r);
    }
}
