package io.fairlane.scheduler.sim;

/** A tenant's request rate over time, in requests per second; arrivals are Poisson at this rate. */
interface RateFunction {

    double at(double t);

    /** An upper bound of {@link #at} over the run, for thinning. */
    double peak();

    String describe();

    static RateFunction constant(double perSecond) {
        return new RateFunction() {
            @Override
            public double at(double t) {
                return perSecond;
            }

            @Override
            public double peak() {
                return perSecond;
            }

            @Override
            public String describe() {
                return fmt(perSecond) + " req/s";
            }
        };
    }

    /** {@code perSecond} for {@code on} seconds, then nothing for {@code off} seconds, repeating. */
    static RateFunction onOff(double perSecond, double on, double off) {
        return new RateFunction() {
            @Override
            public double at(double t) {
                return (t % (on + off)) < on ? perSecond : 0;
            }

            @Override
            public double peak() {
                return perSecond;
            }

            @Override
            public String describe() {
                return fmt(perSecond) + " req/s, " + fmt(on) + " s on / " + fmt(off) + " s off";
            }
        };
    }

    /** Rising linearly from {@code from} to {@code to} over {@code seconds}, then staying at {@code to}. */
    static RateFunction ramp(double from, double to, double seconds) {
        return new RateFunction() {
            @Override
            public double at(double t) {
                return t >= seconds ? to : from + (to - from) * t / seconds;
            }

            @Override
            public double peak() {
                return Math.max(from, to);
            }

            @Override
            public String describe() {
                return "ramp " + fmt(from) + "→" + fmt(to) + " req/s over " + fmt(seconds) + " s";
            }
        };
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
