package io.fairlane.engine.template;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The value types a template works with beyond Java's own (which stand for Python's: {@code null} is
 * {@code None}, {@link Boolean}, {@link Long} for int, {@link Double} for float, {@link String},
 * {@link List} for list, {@link Map} for dict).
 */
final class Values {

    private Values() {
    }

    /** A Python tuple: a list that prints with parentheses. */
    static final class Tuple extends AbstractList<Object> {
        private final List<Object> items;

        Tuple(List<?> items) {
            this.items = new ArrayList<>(items);
        }

        @Override
        public Object get(int index) {
            return items.get(index);
        }

        @Override
        public int size() {
            return items.size();
        }
    }

    /**
     * Jinja's default {@code Undefined}: prints as nothing, is false, iterates as empty, equals only another
     * undefined, and fails when used as an object (attribute, item, call, arithmetic, ordering).
     */
    static final class Undefined {
        final String hint;
        /** Set for the sandbox's refusals (a mutating method): using the value raises this message. */
        final boolean security;

        Undefined(String hint) {
            this(hint, false);
        }

        Undefined(String hint, boolean security) {
            this.hint = hint;
            this.security = security;
        }

        TemplateException fail() {
            return new TemplateException((security ? "SecurityError: " : "UndefinedError: ") + hint);
        }

        @Override
        public String toString() {
            return "";
        }
    }

    /** {@code namespace(...)}: the one object templates may assign attributes on. */
    static final class Namespace {
        final Map<String, Object> attributes = new LinkedHashMap<>();

        @Override
        public String toString() {
            return "<Namespace " + Py.repr(attributes) + ">";
        }
    }

    /** Anything callable from a template: macros, built-in functions, bound methods. */
    @FunctionalInterface
    interface Callable {
        Object call(List<Object> args, Map<String, Object> kwargs);
    }

    /** A callable with a name for messages and printing. */
    record Function(String name, Callable body) implements Callable {
        Function {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            return body.call(args, kwargs);
        }

        @Override
        public String toString() {
            return "<function " + name + ">";
        }
    }
}
