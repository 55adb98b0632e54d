package io.fairlane.engine.template;

import java.util.List;
import java.util.Map;

/** The syntax tree of a template: statements ({@link Node}) and expressions ({@link Expr}). */
final class Ast {

    private Ast() {
    }

    sealed interface Expr permits Literal, Name, ListExpr, TupleExpr, DictExpr, GetAttr, GetItem, Slice, Call,
            Filter, Test, Unary, Binary, Compare, Conditional {
    }

    record Literal(Object value) implements Expr {
    }

    record Name(String name) implements Expr {
    }

    record ListExpr(List<Expr> items) implements Expr {
    }

    record TupleExpr(List<Expr> items) implements Expr {
    }

    record DictExpr(List<Expr> keys, List<Expr> values) implements Expr {
    }

    record GetAttr(Expr target, String name) implements Expr {
    }

    record GetItem(Expr target, Expr index) implements Expr {
    }

    /** {@code a[start:stop:step]}; any part may be null. Only appears as a {@link GetItem} index. */
    record Slice(Expr start, Expr stop, Expr step) implements Expr {
    }

    /** Arguments of a call, filter or test: positional, keyword (in order), {@code *args}, {@code **kwargs}. */
    record Args(List<Expr> positional, Map<String, Expr> keywords, Expr starArgs, Expr starKwargs) {
        static final Args NONE = new Args(List.of(), Map.of(), null, null);
    }

    record Call(Expr target, Args args) implements Expr {
    }

    record Filter(Expr value, String name, Args args) implements Expr {
    }

    record Test(Expr value, String name, Args args, boolean negated) implements Expr {
    }

    /** {@code -x}, {@code +x}, {@code not x}. */
    record Unary(String op, Expr operand) implements Expr {
    }

    /** Arithmetic, {@code ~} concatenation, {@code and}, {@code or}. */
    record Binary(String op, Expr left, Expr right) implements Expr {
    }

    /** A comparison chain {@code a < b <= c}, evaluated like Python's. Ops include {@code in} and {@code notin}. */
    record Compare(Expr first, List<String> ops, List<Expr> operands) implements Expr {
    }

    /** {@code a if test else b}; without {@code else}, an undefined value. */
    record Conditional(Expr test, Expr then, Expr otherwise) implements Expr {
    }

    // ---- assignment targets ----

    sealed interface Target permits NameTarget, AttrTarget, TupleTarget {
    }

    record NameTarget(String name) implements Target {
    }

    /** {@code ns.attr}: only namespaces accept it. */
    record AttrTarget(String object, String attr) implements Target {
    }

    record TupleTarget(List<Target> items) implements Target {
    }

    // ---- statements ----

    sealed interface Node permits Data, Output, If, For, Set, SetBlock, MacroDef, CallBlock, FilterBlock, With,
            Scope, Break, Continue {
    }

    record Data(String text) implements Node {
    }

    record Output(Expr expr) implements Node {
    }

    record If(List<Expr> tests, List<List<Node>> bodies, List<Node> otherwise) implements Node {
    }

    record For(Target target, Expr iterable, Expr condition, boolean recursive, List<Node> body,
               List<Node> otherwise) implements Node {
    }

    record Set(Target target, Expr value) implements Node {
    }

    /** {@code {% set x %}...{% endset %}}, optionally through filters ({@code {% set x | upper %}}). */
    record SetBlock(Target target, List<Filter> filters, List<Node> body) implements Node {
    }

    record MacroDef(String name, List<String> params, List<Expr> defaults, List<Node> body) implements Node {
    }

    record CallBlock(List<String> params, List<Expr> defaults, Call call, List<Node> body) implements Node {
    }

    /** {@code {% filter f %}...{% endfilter %}}: the body's text goes through the filters (value slot unused). */
    record FilterBlock(List<Filter> filters, List<Node> body) implements Node {
    }

    record With(List<Target> targets, List<Expr> values, List<Node> body) implements Node {
    }

    /** A body rendered in the current scope (transformers' {@code {% generation %}} block). */
    record Scope(List<Node> body) implements Node {
    }

    record Break() implements Node {
    }

    record Continue() implements Node {
    }
}
