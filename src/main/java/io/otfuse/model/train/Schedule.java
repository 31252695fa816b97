package io.otfuse.model.train;

/**
 * Linear warm-up from 0 to the base rate, then cosine decay to 0 (HF {@code get_cosine_schedule_with_warmup}),
 * linear decay to 0, or a constant rate.
 */
public record Schedule(double base, long warmup, long total, String kind) {
    public Schedule(double base, long warmup, long total) {
        this(base, warmup, total, "cosine");
    }

    public Schedule {
        if (!kind.equals("cosine") && !kind.equals("linear") && !kind.equals("constant")) {
            throw new IllegalArgumentException("schedule must be cosine, linear or constant, got '" + kind + "'");
        }
    }

    public float at(long step) {
        if (step < warmup) return (float) (base * (step + 1) / Math.max(1, warmup));
        double progress = Math.min(1, (double) (step - warmup) / Math.max(1, total - warmup));
        return switch (kind) {
            case "linear" -> (float) (base * (1 - progress));
            case "constant" -> (float) base;
            default -> (float) (base * 0.5 * (1 + Math.cos(Math.PI * progress)));
        };
    }
}
