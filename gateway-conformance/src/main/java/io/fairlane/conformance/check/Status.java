package io.fairlane.conformance.check;

/** How a check ended. */
public enum Status {
    PASS("pass"),
    FAIL("fail"),
    NOT_APPLICABLE("n/a");

    private final String label;

    Status(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
