package io.otfuse.model.train;

/** Linear warm-up from 0 to the base rate, then cosine decay to 0 (HF {@code get_cosine_schedule_with_warmup}). */
public record Schedule(double base, long warmup, long total) {
    public float at(long step) {
        if (step < warmup) return (float) (base * (step + 1) / Math.max(1, warmup));
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return (float) (base * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
    }
}
