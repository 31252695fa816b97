package io.otfuse.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.otfuse.model.train.Schedule;
import io.otfuse.model.train.TrainOptions;
import org.junit.jupiter.api.Test;

/** Fractional training budgets and the learning-rate schedules used by equal-budget finetuning. */
class ScheduleBudgetTest {
    @Test
    void schedulesAfterWarmup() {
        Schedule cos = new Schedule(1.0, 10, 110), lin = new Schedule(1.0, 10, 110, "linear"), con = new Schedule(1.0, 10, 110, "constant");
        for (Schedule s : new Schedule[] {cos, lin, con}) {
            assertEquals(0.1f, s.at(0), 1e-6f, "linear warm-up");
            assertEquals(1.0f, s.at(10), 1e-6f);
        }
        assertEquals(0.5f, cos.at(60), 1e-6f);
        assertEquals(0.5f, lin.at(60), 1e-6f);
        assertEquals(0.25f, lin.at(85), 1e-6f);
        assertEquals(1.0f, con.at(109), 1e-6f);
        assertEquals(0f, cos.at(110), 1e-6f);
        assertEquals(0f, lin.at(200), 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> new Schedule(1, 0, 10, "step"));
    }

    @Test
    void fractionalBudget() {
        TrainOptions o = new TrainOptions();
        o.epochs = 15;
        assertEquals(15, o.epochCount());
        assertEquals(15 * 469L, o.totalSteps(469));
        o.budget = 1.5;
        assertEquals(2, o.epochCount());
        assertEquals(704, o.totalSteps(469));
        o.budget = 3.0;
        assertEquals(3, o.epochCount());
        assertEquals(3 * 469L, o.totalSteps(469));
        o.budget = 0.001;
        assertEquals(1, o.totalSteps(469), "at least one step");
    }

    @Test
    void newOptionsRoundTripAndStayOutOfPlainStates() {
        ObjectMapper m = new ObjectMapper();
        TrainOptions plain = new TrainOptions();
        var j = plain.toJson(m.createObjectNode());
        assertEquals(false, j.has("budget") || j.has("schedule") || j.has("eval_every"), "plain runs keep their recorded fields");
        TrainOptions o = new TrainOptions();
        o.budget = 1.5;
        o.schedule = "constant";
        o.evalEvery = 0.25;
        TrainOptions back = TrainOptions.fromJson(o.toJson(m.createObjectNode()));
        assertEquals(1.5, back.budget);
        assertEquals("constant", back.schedule);
        assertEquals(0.25, back.evalEvery);
    }
}
