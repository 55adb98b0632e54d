package io.fairlane.engine.runtime;

import io.fairlane.engine.TokenEvent;
import java.util.ArrayList;
import java.util.List;

/** Checks one request's events against the order {@link TokenEvent} documents; lists every violation. */
final class EventOrder {

    private EventOrder() {
    }

    static List<String> violations(List<TokenEvent> events, int n) {
        List<String> problems = new ArrayList<>();
        if (events.isEmpty()) {
            return List.of("no events");
        }
        TokenEvent last = events.getLast();
        boolean failed = last instanceof TokenEvent.Failed;
        if (!(last instanceof TokenEvent.Finished) && !failed) {
            problems.add("last event is " + last + ", not Finished or Failed");
        }
        if (!failed && !(events.getFirst() instanceof TokenEvent.Scheduled)) {
            problems.add("first event is " + events.getFirst() + ", not Scheduled");
        }
        int[] tokens = new int[n];
        boolean[] finished = new boolean[n];
        int completion = 0;
        for (int i = 0; i < events.size(); i++) {
            TokenEvent e = events.get(i);
            if (i < events.size() - 1 && (e instanceof TokenEvent.Finished || e instanceof TokenEvent.Failed)) {
                problems.add("terminal event at " + i + " is not last");
            }
            if (i > 0 && e instanceof TokenEvent.Scheduled) {
                problems.add("Scheduled again at " + i);
            }
            if (e instanceof TokenEvent.Token t) {
                if (finished[t.choice()]) {
                    problems.add("token of choice " + t.choice() + " after its ChoiceFinished");
                }
                tokens[t.choice()]++;
                completion++;
            }
            if (e instanceof TokenEvent.ChoiceFinished c) {
                if (finished[c.choice()]) {
                    problems.add("choice " + c.choice() + " finished twice");
                }
                finished[c.choice()] = true;
                if (c.outputTokens() != tokens[c.choice()]) {
                    problems.add("choice " + c.choice() + " reports " + c.outputTokens() + " tokens, streamed "
                            + tokens[c.choice()]);
                }
            }
        }
        if (last instanceof TokenEvent.Finished f) {
            for (int c = 0; c < n; c++) {
                if (!finished[c]) {
                    problems.add("choice " + c + " never finished");
                }
            }
            if (f.usage().completionTokens() != completion) {
                problems.add("usage counts " + f.usage().completionTokens() + " completion tokens, streamed "
                        + completion);
            }
        }
        return problems;
    }
}
