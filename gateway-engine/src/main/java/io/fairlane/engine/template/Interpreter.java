package io.fairlane.engine.template;

import io.fairlane.engine.template.Ast.Expr;
import io.fairlane.engine.template.Ast.Node;
import io.fairlane.engine.template.Values.Callable;
import io.fairlane.engine.template.Values.Namespace;
import io.fairlane.engine.template.Values.Tuple;
import io.fairlane.engine.template.Values.Undefined;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Walks the syntax tree and writes the output, with Jinja's scoping: {@code if} shares its scope, each
 * iteration of a {@code for} loop and each {@code with} or macro call gets a fresh child scope (so
 * {@code set} inside a loop does not leak out, which is why templates use {@code namespace()}), and
 * macros see the scope they were defined in as it is when they are called.
 *
 * <p>One instance renders one template once; not thread-safe.
 */
final class Interpreter {

    private enum Flow { NORMAL, BREAK, CONTINUE }

    /** A scope: its own variables, then its parent's. */
    static final class Frame {
        final Map<String, Object> vars = new HashMap<>();
        final Frame parent;

        Frame(Frame parent) {
            this.parent = parent;
        }

        boolean has(String name) {
            for (Frame f = this; f != null; f = f.parent) {
                if (f.vars.containsKey(name)) {
                    return true;
                }
            }
            return false;
        }

        Object get(String name) {
            for (Frame f = this; f != null; f = f.parent) {
                Object v = f.vars.get(name);
                if (v != null || f.vars.containsKey(name)) {
                    return v;
                }
            }
            return MISSING;
        }
    }

    static final Object MISSING = new Object();

    private final Map<String, Object> globals;
    private final Builtins builtins;

    Interpreter(Map<String, Object> globals, Builtins builtins) {
        this.globals = globals;
        this.builtins = builtins;
    }

    String render(List<Node> body, Map<String, Object> variables) {
        Frame root = new Frame(null);
        root.vars.putAll(variables);
        StringBuilder out = new StringBuilder();
        exec(body, root, out);
        return out.toString();
    }

    // ---- statements ----

    private Flow exec(List<Node> nodes, Frame frame, StringBuilder out) {
        for (Node node : nodes) {
            Flow flow = exec(node, frame, out);
            if (flow != Flow.NORMAL) {
                return flow;
            }
        }
        return Flow.NORMAL;
    }

    private Flow exec(Node node, Frame frame, StringBuilder out) {
        switch (node) {
            case Ast.Data d -> out.append(d.text());
            case Ast.Output o -> out.append(Py.str(eval(o.expr(), frame)));
            case Ast.If i -> {
                for (int k = 0; k < i.tests().size(); k++) {
                    if (Py.truthy(eval(i.tests().get(k), frame))) {
                        return exec(i.bodies().get(k), frame, out);
                    }
                }
                return exec(i.otherwise(), frame, out);
            }
            case Ast.For f -> {
                return execFor(f, frame, out, eval(f.iterable(), frame), null);
            }
            case Ast.Set s -> assign(s.target(), eval(s.value(), frame), frame);
            case Ast.SetBlock s -> {
                StringBuilder captured = new StringBuilder();
                exec(s.body(), new Frame(frame), captured);
                Object value = captured.toString();
                for (Ast.Filter filter : s.filters()) {
                    value = applyFilter(filter, value, frame);
                }
                assign(s.target(), value, frame);
            }
            case Ast.MacroDef m -> frame.vars.put(m.name(), new Macro(m.name(), m.params(), m.defaults(), m.body(),
                    frame));
            case Ast.CallBlock c -> {
                Macro caller = new Macro("caller", c.params(), c.defaults(), c.body(), frame);
                Object target = eval(c.call().target(), frame);
                CallArguments a = arguments(c.call().args(), frame);
                a.keywords.put("caller", caller);
                out.append(Py.str(call(target, a.positional, a.keywords)));
            }
            case Ast.FilterBlock fb -> {
                StringBuilder captured = new StringBuilder();
                exec(fb.body(), new Frame(frame), captured);
                Object value = captured.toString();
                for (Ast.Filter filter : fb.filters()) {
                    value = applyFilter(filter, value, frame);
                }
                out.append(Py.str(value));
            }
            case Ast.With w -> {
                Frame inner = new Frame(frame);
                for (int k = 0; k < w.targets().size(); k++) {
                    assign(w.targets().get(k), eval(w.values().get(k), frame), inner);
                }
                return exec(w.body(), inner, out);
            }
            case Ast.Scope s -> {
                return exec(s.body(), frame, out);
            }
            case Ast.Break b -> {
                return Flow.BREAK;
            }
            case Ast.Continue c -> {
                return Flow.CONTINUE;
            }
        }
        return Flow.NORMAL;
    }

    private Flow execFor(Ast.For f, Frame frame, StringBuilder out, Object iterable, LoopContext parentLoop) {
        List<Object> items = Py.iterate(iterable);
        if (f.condition() != null) {
            List<Object> kept = new ArrayList<>(items.size());
            for (Object item : items) {
                Frame test = new Frame(frame);
                assign(f.target(), item, test);
                if (Py.truthy(eval(f.condition(), test))) {
                    kept.add(item);
                }
            }
            items = kept;
        }
        if (items.isEmpty()) {
            return exec(f.otherwise(), frame, out);
        }
        LoopContext loop = new LoopContext(items, parentLoop);
        Callable recurse = f.recursive()
                ? (args, kw) -> {
                    StringBuilder inner = new StringBuilder();
                    execFor(f, frame, inner, args.getFirst(), loop);
                    return inner.toString();
                }
                : null;
        for (int i = 0; i < items.size(); i++) {
            loop.moveTo(i);
            Frame body = new Frame(frame);
            body.vars.put("loop", recurse == null ? loop : new RecursiveLoop(loop, recurse));
            assign(f.target(), items.get(i), body);
            Flow flow = exec(f.body(), body, out);
            if (flow == Flow.BREAK) {
                break;
            }
        }
        return Flow.NORMAL;
    }

    /** The {@code loop} of a recursive for: callable to recurse, otherwise the usual attributes. */
    record RecursiveLoop(LoopContext loop, Callable recurse) implements Callable {
        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            return recurse.call(args, kwargs);
        }
    }

    private void assign(Ast.Target target, Object value, Frame frame) {
        switch (target) {
            case Ast.NameTarget n -> frame.vars.put(n.name(), value);
            case Ast.AttrTarget a -> {
                Object ns = lookup(a.object(), frame);
                if (!(ns instanceof Namespace namespace)) {
                    throw new TemplateException("TemplateRuntimeError: cannot assign attribute on non-namespace object");
                }
                namespace.attributes.put(a.attr(), value);
            }
            case Ast.TupleTarget t -> {
                List<Object> values = Py.iterate(value);
                if (values.size() != t.items().size()) {
                    throw new TemplateException("ValueError: " + (values.size() > t.items().size()
                            ? "too many values to unpack (expected " + t.items().size() + ")"
                            : "not enough values to unpack (expected " + t.items().size() + ", got "
                            + values.size() + ")"));
                }
                for (int i = 0; i < values.size(); i++) {
                    assign(t.items().get(i), values.get(i), frame);
                }
            }
        }
    }

    // ---- expressions ----

    private Object lookup(String name, Frame frame) {
        Object v = frame.get(name);
        if (v != MISSING) {
            return v;
        }
        if (globals.containsKey(name)) {
            return globals.get(name);
        }
        return new Undefined("'" + name + "' is undefined");
    }

    Object eval(Expr e, Frame frame) {
        return switch (e) {
            case Ast.Literal l -> l.value();
            case Ast.Name n -> lookup(n.name(), frame);
            case Ast.ListExpr l -> {
                List<Object> out = new ArrayList<>(l.items().size());
                for (Expr item : l.items()) {
                    out.add(eval(item, frame));
                }
                yield out;
            }
            case Ast.TupleExpr t -> {
                List<Object> out = new ArrayList<>(t.items().size());
                for (Expr item : t.items()) {
                    out.add(eval(item, frame));
                }
                yield new Tuple(out);
            }
            case Ast.DictExpr d -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) {
                    Py.dictPut(out, eval(d.keys().get(i), frame), eval(d.values().get(i), frame));
                }
                yield out;
            }
            case Ast.GetAttr g -> {
                Object target = eval(g.target(), frame);
                if (target instanceof RecursiveLoop r) {
                    target = r.loop();
                }
                yield Py.getattr(target, g.name());
            }
            case Ast.GetItem g -> {
                Object target = eval(g.target(), frame);
                if (target instanceof RecursiveLoop r) {
                    target = r.loop();
                }
                Object index = g.index() instanceof Ast.Slice s ? slice(s, frame) : eval(g.index(), frame);
                yield Py.getitem(target, index);
            }
            case Ast.Slice s -> slice(s, frame);
            case Ast.Call c -> {
                Object target = eval(c.target(), frame);
                CallArguments a = arguments(c.args(), frame);
                yield call(target, a.positional, a.keywords);
            }
            case Ast.Filter f -> applyFilter(f, eval(f.value(), frame), frame);
            case Ast.Test t -> {
                CallArguments a = arguments(t.args(), frame);
                boolean result = builtins.test(t.name(), eval(t.value(), frame), a.positional, a.keywords);
                yield t.negated() != result;
            }
            case Ast.Unary u -> switch (u.op()) {
                case "not" -> !Py.truthy(eval(u.operand(), frame));
                case "-" -> {
                    Object v = eval(u.operand(), frame);
                    if (v instanceof Undefined und) {
                        throw und.fail();
                    }
                    yield v instanceof Double d ? (Object) (-d) : (Object) Math.negateExact(Py.toLong(v));
                }
                default -> {
                    Object v = eval(u.operand(), frame);
                    if (v instanceof Undefined und) {
                        throw und.fail();
                    }
                    yield v instanceof Boolean b ? (Object) (b ? 1L : 0L) : v;
                }
            };
            case Ast.Binary b -> switch (b.op()) {
                case "and" -> {
                    Object left = eval(b.left(), frame);
                    yield Py.truthy(left) ? eval(b.right(), frame) : left;
                }
                case "or" -> {
                    Object left = eval(b.left(), frame);
                    yield Py.truthy(left) ? left : eval(b.right(), frame);
                }
                case "~" -> Py.str(eval(b.left(), frame)) + Py.str(eval(b.right(), frame));
                default -> Py.arithmetic(b.op(), eval(b.left(), frame), eval(b.right(), frame));
            };
            case Ast.Compare c -> {
                Object left = eval(c.first(), frame);
                for (int i = 0; i < c.ops().size(); i++) {
                    Object right = eval(c.operands().get(i), frame);
                    if (!compare(c.ops().get(i), left, right)) {
                        yield false;
                    }
                    left = right;
                }
                yield true;
            }
            case Ast.Conditional c -> Py.truthy(eval(c.test(), frame)) ? eval(c.then(), frame)
                    : c.otherwise() == null ? new Undefined("the inline if-expression evaluated to false and no else "
                    + "section was defined.") : eval(c.otherwise(), frame);
        };
    }

    private static boolean compare(String op, Object left, Object right) {
        return switch (op) {
            case "==" -> Py.eq(left, right);
            case "!=" -> !Py.eq(left, right);
            case "<" -> Py.compare(left, right, op) < 0;
            case "<=" -> Py.compare(left, right, op) <= 0;
            case ">" -> Py.compare(left, right, op) > 0;
            case ">=" -> Py.compare(left, right, op) >= 0;
            case "in" -> Py.contains(right, left);
            case "notin" -> !Py.contains(right, left);
            default -> throw new IllegalArgumentException(op);
        };
    }

    private Py.SliceValue slice(Ast.Slice s, Frame frame) {
        return new Py.SliceValue(sliceBound(s.start(), frame), sliceBound(s.stop(), frame), sliceBound(s.step(), frame));
    }

    private Long sliceBound(Expr e, Frame frame) {
        if (e == null) {
            return null;
        }
        Object v = eval(e, frame);
        if (v == null) {
            return null;
        }
        if (v instanceof Undefined u) {
            throw u.fail();
        }
        return Py.toLong(v);
    }

    Object applyFilter(Ast.Filter f, Object value, Frame frame) {
        CallArguments a = arguments(f.args(), frame);
        return builtins.filter(f.name(), value, a.positional, a.keywords);
    }

    private record CallArguments(List<Object> positional, Map<String, Object> keywords) {
    }

    private CallArguments arguments(Ast.Args args, Frame frame) {
        List<Object> positional = new ArrayList<>(args.positional().size());
        for (Expr e : args.positional()) {
            positional.add(eval(e, frame));
        }
        if (args.starArgs() != null) {
            positional.addAll(Py.iterate(eval(args.starArgs(), frame)));
        }
        Map<String, Object> keywords = new LinkedHashMap<>();
        args.keywords().forEach((k, e) -> keywords.put(k, eval(e, frame)));
        if (args.starKwargs() != null) {
            Object extra = eval(args.starKwargs(), frame);
            if (extra instanceof Map<?, ?> m) {
                m.forEach((k, v) -> keywords.put(Py.str(k), v));
            }
        }
        return new CallArguments(positional, keywords);
    }

    static Object call(Object target, List<Object> args, Map<String, Object> kwargs) {
        if (target instanceof Undefined u) {
            throw u.fail();
        }
        if (target instanceof Callable c) {
            return c.call(args, kwargs);
        }
        throw Py.typeError("'" + Py.typeName(target) + "' object is not callable");
    }

    /** A macro: its parameters bound per call in a scope below the one it was defined in. */
    final class Macro implements Callable {
        private final String name;
        private final List<String> params;
        private final List<Expr> defaults;
        private final List<Node> body;
        private final Frame closure;

        Macro(String name, List<String> params, List<Expr> defaults, List<Node> body, Frame closure) {
            this.name = name;
            this.params = params;
            this.defaults = defaults;
            this.body = body;
            this.closure = closure;
        }

        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            Frame frame = new Frame(closure);
            Map<String, Object> extraKeywords = new LinkedHashMap<>(kwargs);
            int firstDefault = params.size() - defaults.size();
            for (int i = 0; i < params.size(); i++) {
                String p = params.get(i);
                if (i < args.size()) {
                    frame.vars.put(p, args.get(i));
                    if (extraKeywords.containsKey(p)) {
                        throw Py.typeError("macro '" + name + "' got multiple values for argument '" + p + "'");
                    }
                } else if (extraKeywords.containsKey(p)) {
                    frame.vars.put(p, extraKeywords.remove(p));
                } else if (i >= firstDefault) {
                    frame.vars.put(p, eval(defaults.get(i - firstDefault), frame));
                } else {
                    frame.vars.put(p, new Undefined("parameter '" + p + "' was not provided"));
                }
            }
            Object caller = extraKeywords.remove("caller");
            if (caller != null) {
                frame.vars.put("caller", caller);
            }
            frame.vars.put("varargs", args.size() > params.size()
                    ? new Tuple(args.subList(params.size(), args.size())) : new Tuple(List.of()));
            frame.vars.put("kwargs", new LinkedHashMap<Object, Object>(extraKeywords));
            StringBuilder out = new StringBuilder();
            exec(body, frame, out);
            return out.toString();
        }

        @Override
        public String toString() {
            return "<Macro '" + name + "'>";
        }
    }
}
