package io.fairlane.engine.template;

import java.util.List;

/** The {@code loop} variable of a for loop: position, neighbours, {@code cycle} and {@code changed}. */
final class LoopContext {

    private final List<Object> items;
    private final LoopContext parent;
    private int index0;
    private List<Object> lastChanged;

    LoopContext(List<Object> items, LoopContext parent) {
        this.items = items;
        this.parent = parent;
    }

    void moveTo(int i) {
        index0 = i;
    }

    Object attribute(String name) {
        int n = items.size();
        return switch (name) {
            case "index" -> (long) index0 + 1;
            case "index0" -> (long) index0;
            case "revindex" -> (long) (n - index0);
            case "revindex0" -> (long) (n - index0 - 1);
            case "first" -> index0 == 0;
            case "last" -> index0 == n - 1;
            case "length" -> (long) n;
            case "depth" -> (long) depth0() + 1;
            case "depth0" -> (long) depth0();
            case "previtem" -> index0 > 0 ? items.get(index0 - 1) : new Values.Undefined("there is no previous item");
            case "nextitem" -> index0 + 1 < n ? items.get(index0 + 1) : new Values.Undefined("there is no next item");
            case "cycle" -> new Values.Function("cycle", (args, kw) -> {
                if (args.isEmpty()) {
                    throw Py.typeError("no items for cycling given");
                }
                return args.get(index0 % args.size());
            });
            case "changed" -> new Values.Function("changed", (args, kw) -> {
                if (lastChanged != null && Py.eq(lastChanged, args)) {
                    return false;
                }
                lastChanged = args;
                return true;
            });
            default -> null;
        };
    }

    private int depth0() {
        return parent == null ? 0 : parent.depth0() + 1;
    }

    @Override
    public String toString() {
        return "<LoopContext " + (index0 + 1) + "/" + items.size() + ">";
    }
}
