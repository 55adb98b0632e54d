package io.fairlane.engine.template;

import io.fairlane.engine.template.Ast.Args;
import io.fairlane.engine.template.Ast.Expr;
import io.fairlane.engine.template.Ast.Node;
import io.fairlane.engine.template.Lexer.Token;
import io.fairlane.engine.template.Lexer.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Recursive-descent parser from tokens to {@link Ast}, with Jinja's operator precedence: conditional
 * expression, {@code or}, {@code and}, {@code not}, comparisons, {@code + -}, {@code ~}, {@code * / // %},
 * {@code **} (left-associative in Jinja), unary minus, then postfix access, filters and tests.
 *
 * <p>A documented hot core, kept whole on purpose although it is long: one method per grammar rule, each short,
 * and splitting the rules over classes would scatter a grammar that reads best top to bottom beside jinja2's
 * own parser. Golden tests against jinja2 hold it to the reference (see {@code docs/engine.md}).
 */
final class Parser {

    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", "<=", ">", ">=");

    private final List<Token> tokens;
    private int pos;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Node> parse(String source) {
        Parser p = new Parser(Lexer.tokenize(source));
        List<Node> body = p.parseBody(Set.of());
        if (p.peek().type() != Type.EOF) {
            throw p.error("unexpected '" + p.peek().value() + "'");
        }
        return body;
    }

    // ---- statements ----

    /** Parses until EOF or a block tag named in {@code endTags}; leaves the position on that tag's name. */
    private List<Node> parseBody(Set<String> endTags) {
        List<Node> body = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.type()) {
                case EOF -> {
                    if (!endTags.isEmpty()) {
                        throw error("unexpected end of template, expected one of " + endTags);
                    }
                    return body;
                }
                case DATA -> {
                    pos++;
                    body.add(new Ast.Data(t.value()));
                }
                case VAR_BEGIN -> {
                    pos++;
                    Expr e = parseTuple(true, Set.of(), false);
                    expect(Type.VAR_END);
                    body.add(new Ast.Output(e));
                }
                case BLOCK_BEGIN -> {
                    Token name = tokens.get(pos + 1);
                    if (name.type() == Type.NAME && endTags.contains(name.value())) {
                        pos++;  // now on the end tag's name
                        return body;
                    }
                    pos++;
                    body.add(parseStatement());
                }
                default -> throw error("unexpected " + t);
            }
        }
    }

    private Node parseStatement() {
        Token t = expect(Type.NAME);
        return switch (t.value()) {
            case "if" -> parseIf();
            case "for" -> parseFor();
            case "set" -> parseSet();
            case "macro" -> parseMacro();
            case "call" -> parseCallBlock();
            case "filter" -> parseFilterBlock();
            case "with" -> parseWith();
            case "break" -> {
                expect(Type.BLOCK_END);
                yield new Ast.Break();
            }
            case "continue" -> {
                expect(Type.BLOCK_END);
                yield new Ast.Continue();
            }
            case "generation" -> {
                expect(Type.BLOCK_END);
                List<Node> body = parseBody(Set.of("endgeneration"));
                endTag();
                yield new Ast.Scope(body);
            }
            default -> throw error("Encountered unknown tag '" + t.value() + "'");
        };
    }

    private void endTag() {
        expect(Type.NAME);
        expect(Type.BLOCK_END);
    }

    private Node parseIf() {
        List<Expr> tests = new ArrayList<>();
        List<List<Node>> bodies = new ArrayList<>();
        tests.add(parseTuple(true, Set.of(), false));
        expect(Type.BLOCK_END);
        while (true) {
            bodies.add(parseBody(Set.of("elif", "else", "endif")));
            String tag = expect(Type.NAME).value();
            if (tag.equals("elif")) {
                tests.add(parseTuple(true, Set.of(), false));
                expect(Type.BLOCK_END);
            } else if (tag.equals("else")) {
                expect(Type.BLOCK_END);
                List<Node> otherwise = parseBody(Set.of("endif"));
                endTag();
                return new Ast.If(tests, bodies, otherwise);
            } else {
                expect(Type.BLOCK_END);
                return new Ast.If(tests, bodies, List.of());
            }
        }
    }

    private Node parseFor() {
        Ast.Target target = parseAssignTarget(false, Set.of("in"));
        expectName("in");
        Expr iterable = parseTuple(false, Set.of("recursive"), false);
        Expr condition = null;
        if (peek().isName("if")) {
            pos++;
            condition = parseExpression(true);
        }
        boolean recursive = false;
        if (peek().isName("recursive")) {
            pos++;
            recursive = true;
        }
        expect(Type.BLOCK_END);
        List<Node> body = parseBody(Set.of("endfor", "else"));
        List<Node> otherwise = List.of();
        if (expect(Type.NAME).value().equals("else")) {
            expect(Type.BLOCK_END);
            otherwise = parseBody(Set.of("endfor"));
            endTag();
        } else {
            expect(Type.BLOCK_END);
        }
        return new Ast.For(target, iterable, condition, recursive, body, otherwise);
    }

    private Node parseSet() {
        Ast.Target target = parseAssignTarget(true, Set.of());
        if (peek().isOp("=")) {
            pos++;
            Expr value = parseTuple(true, Set.of(), false);
            expect(Type.BLOCK_END);
            return new Ast.Set(target, value);
        }
        List<Ast.Filter> filters = new ArrayList<>();
        while (peek().isOp("|")) {
            pos++;
            filters.add(parseFilterCall(null));
        }
        expect(Type.BLOCK_END);
        List<Node> body = parseBody(Set.of("endset"));
        endTag();
        return new Ast.SetBlock(target, filters, body);
    }

    private Node parseMacro() {
        String name = expect(Type.NAME).value();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        parseSignature(params, defaults);
        expect(Type.BLOCK_END);
        List<Node> body = parseBody(Set.of("endmacro"));
        endTag();
        return new Ast.MacroDef(name, params, defaults, body);
    }

    private void parseSignature(List<String> params, List<Expr> defaults) {
        expectOp("(");
        while (!peek().isOp(")")) {
            if (!params.isEmpty()) {
                expectOp(",");
            }
            String param = expect(Type.NAME).value();
            params.add(param);
            if (peek().isOp("=")) {
                pos++;
                defaults.add(parseExpression(true));
            } else {
                if (!defaults.isEmpty()) {
                    throw error("non-default argument follows default argument");
                }
            }
        }
        pos++;
    }

    private Node parseCallBlock() {
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        if (peek().isOp("(")) {
            parseSignature(params, defaults);
        }
        Expr call = parseExpression(true);
        if (!(call instanceof Ast.Call c)) {
            throw error("expected call");
        }
        expect(Type.BLOCK_END);
        List<Node> body = parseBody(Set.of("endcall"));
        endTag();
        return new Ast.CallBlock(params, defaults, c, body);
    }

    private Node parseFilterBlock() {
        List<Ast.Filter> filters = new ArrayList<>();
        filters.add(parseFilterCall(null));
        while (peek().isOp("|")) {
            pos++;
            filters.add(parseFilterCall(null));
        }
        expect(Type.BLOCK_END);
        List<Node> body = parseBody(Set.of("endfilter"));
        endTag();
        return new Ast.FilterBlock(filters, body);
    }

    private Node parseWith() {
        List<Ast.Target> targets = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (peek().type() != Type.BLOCK_END) {
            if (!targets.isEmpty()) {
                expectOp(",");
            }
            targets.add(parseAssignTarget(false, Set.of()));
            expectOp("=");
            values.add(parseExpression(true));
        }
        expect(Type.BLOCK_END);
        List<Node> body = parseBody(Set.of("endwith"));
        endTag();
        return new Ast.With(targets, values, body);
    }

    private Ast.Target parseAssignTarget(boolean withNamespace, Set<String> extraEnd) {
        if (withNamespace && peek().type() == Type.NAME && tokens.get(pos + 1).isOp(".")) {
            String object = expect(Type.NAME).value();
            pos++;
            String attr = expect(Type.NAME).value();
            return new Ast.AttrTarget(object, attr);
        }
        List<Ast.Target> items = new ArrayList<>();
        boolean tuple = false;
        while (true) {
            if (!items.isEmpty()) {
                expectOp(",");
            }
            if (isTupleEnd(extraEnd) || peek().isOp("=")) {
                break;
            }
            if (peek().isOp("(")) {
                pos++;
                items.add(parseAssignTarget(false, Set.of()));
                expectOp(")");
            } else {
                items.add(new Ast.NameTarget(expect(Type.NAME).value()));
            }
            if (peek().isOp(",")) {
                tuple = true;
            } else {
                break;
            }
        }
        if (items.isEmpty()) {
            throw error("expected an assignment target");
        }
        return tuple ? new Ast.TupleTarget(items) : items.getFirst();
    }

    // ---- expressions ----

    private boolean isTupleEnd(Set<String> extraEnd) {
        Token t = peek();
        return t.type() == Type.VAR_END || t.type() == Type.BLOCK_END || t.isOp(")") || t.type() == Type.EOF
                || (t.type() == Type.NAME && extraEnd.contains(t.value()));
    }

    /** A comma-separated list that is a tuple when there is a comma (jinja2's {@code parse_tuple}). */
    private Expr parseTuple(boolean withCondition, Set<String> extraEnd, boolean explicitParentheses) {
        List<Expr> items = new ArrayList<>();
        boolean isTuple = false;
        while (true) {
            if (!items.isEmpty()) {
                expectOp(",");
            }
            if (isTupleEnd(extraEnd)) {
                break;
            }
            items.add(parseExpression(withCondition));
            if (peek().isOp(",")) {
                isTuple = true;
            } else {
                break;
            }
        }
        if (!isTuple) {
            if (!items.isEmpty()) {
                return items.getFirst();
            }
            if (!explicitParentheses) {
                throw error("Expected an expression, got '" + peek().value() + "'");
            }
        }
        return new Ast.TupleExpr(items);
    }

    private Expr parseExpression(boolean withCondition) {
        return withCondition ? parseConditional() : parseOr();
    }

    private Expr parseConditional() {
        Expr expr = parseOr();
        while (peek().isName("if")) {
            pos++;
            Expr test = parseOr();
            Expr otherwise = null;
            if (peek().isName("else")) {
                pos++;
                otherwise = parseConditional();
            }
            expr = new Ast.Conditional(test, expr, otherwise);
        }
        return expr;
    }

    private Expr parseOr() {
        Expr left = parseAnd();
        while (peek().isName("or")) {
            pos++;
            left = new Ast.Binary("or", left, parseAnd());
        }
        return left;
    }

    private Expr parseAnd() {
        Expr left = parseNot();
        while (peek().isName("and")) {
            pos++;
            left = new Ast.Binary("and", left, parseNot());
        }
        return left;
    }

    private Expr parseNot() {
        if (peek().isName("not")) {
            pos++;
            return new Ast.Unary("not", parseNot());
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        Expr first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> operands = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.type() == Type.OPERATOR && COMPARE_OPS.contains(t.value())) {
                pos++;
                ops.add(t.value());
                operands.add(parseMath1());
            } else if (t.isName("in")) {
                pos++;
                ops.add("in");
                operands.add(parseMath1());
            } else if (t.isName("not") && tokens.get(pos + 1).isName("in")) {
                pos += 2;
                ops.add("notin");
                operands.add(parseMath1());
            } else {
                break;
            }
        }
        return ops.isEmpty() ? first : new Ast.Compare(first, ops, operands);
    }

    private Expr parseMath1() {
        Expr left = parseConcat();
        while (peek().isOp("+") || peek().isOp("-")) {
            String op = next().value();
            left = new Ast.Binary(op, left, parseConcat());
        }
        return left;
    }

    private Expr parseConcat() {
        Expr left = parseMath2();
        while (peek().isOp("~")) {
            pos++;
            left = new Ast.Binary("~", left, parseMath2());
        }
        return left;
    }

    private Expr parseMath2() {
        Expr left = parsePow();
        while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
            String op = next().value();
            left = new Ast.Binary(op, left, parsePow());
        }
        return left;
    }

    private Expr parsePow() {
        Expr left = parseUnary(true);
        while (peek().isOp("**")) {
            pos++;
            left = new Ast.Binary("**", left, parseUnary(true));
        }
        return left;
    }

    private Expr parseUnary(boolean withFilter) {
        Expr node;
        if (peek().isOp("-")) {
            pos++;
            node = new Ast.Unary("-", parseUnary(false));
        } else if (peek().isOp("+")) {
            pos++;
            node = new Ast.Unary("+", parseUnary(false));
        } else {
            node = parsePrimary();
        }
        node = parsePostfix(node);
        if (withFilter) {
            node = parseFilterExpr(node);
        }
        return node;
    }

    private Expr parsePrimary() {
        Token t = next();
        switch (t.type()) {
            case NAME -> {
                return switch (t.value()) {
                    case "true", "True" -> new Ast.Literal(Boolean.TRUE);
                    case "false", "False" -> new Ast.Literal(Boolean.FALSE);
                    case "none", "None" -> new Ast.Literal(null);
                    default -> new Ast.Name(t.value());
                };
            }
            case STRING -> {
                StringBuilder sb = new StringBuilder(t.value());
                while (peek().type() == Type.STRING) {
                    sb.append(next().value());
                }
                return new Ast.Literal(sb.toString());
            }
            case INTEGER -> {
                return new Ast.Literal(Long.parseLong(t.value()));
            }
            case FLOAT -> {
                return new Ast.Literal(Double.parseDouble(t.value()));
            }
            case OPERATOR -> {
                switch (t.value()) {
                    case "(" -> {
                        Expr e = parseTuple(true, Set.of(), true);
                        expectOp(")");
                        return e;
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!peek().isOp("]")) {
                            if (!items.isEmpty()) {
                                expectOp(",");
                                if (peek().isOp("]")) {
                                    break;
                                }
                            }
                            items.add(parseExpression(true));
                        }
                        expectOp("]");
                        return new Ast.ListExpr(items);
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!peek().isOp("}")) {
                            if (!keys.isEmpty()) {
                                expectOp(",");
                                if (peek().isOp("}")) {
                                    break;
                                }
                            }
                            keys.add(parseExpression(true));
                            expectOp(":");
                            values.add(parseExpression(true));
                        }
                        expectOp("}");
                        return new Ast.DictExpr(keys, values);
                    }
                    default -> throw error("unexpected '" + t.value() + "'");
                }
            }
            default -> throw error("unexpected " + t);
        }
    }

    private Expr parsePostfix(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                pos++;
                Token attr = next();
                if (attr.type() == Type.NAME) {
                    node = new Ast.GetAttr(node, attr.value());
                } else if (attr.type() == Type.INTEGER) {
                    node = new Ast.GetItem(node, new Ast.Literal(Long.parseLong(attr.value())));
                } else {
                    throw error("expected name or number after '.'");
                }
            } else if (t.isOp("[")) {
                pos++;
                List<Expr> indexes = new ArrayList<>();
                while (!peek().isOp("]")) {
                    if (!indexes.isEmpty()) {
                        expectOp(",");
                    }
                    indexes.add(parseSubscript());
                }
                expectOp("]");
                node = new Ast.GetItem(node, indexes.size() == 1 ? indexes.getFirst() : new Ast.TupleExpr(indexes));
            } else if (t.isOp("(")) {
                node = new Ast.Call(node, parseCallArgs());
            } else {
                return node;
            }
        }
    }

    private Expr parseSubscript() {
        Expr start = null;
        if (!peek().isOp(":")) {
            start = parseExpression(true);
            if (!peek().isOp(":")) {
                return start;
            }
        }
        pos++;  // ':'
        Expr stop = null;
        if (!peek().isOp("]") && !peek().isOp(",") && !peek().isOp(":")) {
            stop = parseExpression(true);
        }
        Expr step = null;
        if (peek().isOp(":")) {
            pos++;
            if (!peek().isOp("]") && !peek().isOp(",")) {
                step = parseExpression(true);
            }
        }
        return new Ast.Slice(start, stop, step);
    }

    private Args parseCallArgs() {
        expectOp("(");
        List<Expr> positional = new ArrayList<>();
        Map<String, Expr> keywords = new LinkedHashMap<>();
        Expr star = null;
        Expr starStar = null;
        boolean first = true;
        while (!peek().isOp(")")) {
            if (!first) {
                expectOp(",");
                if (peek().isOp(")")) {
                    break;
                }
            }
            first = false;
            if (peek().isOp("*")) {
                pos++;
                star = parseExpression(true);
            } else if (peek().isOp("**")) {
                pos++;
                starStar = parseExpression(true);
            } else if (peek().type() == Type.NAME && tokens.get(pos + 1).isOp("=")) {
                String key = next().value();
                pos++;
                keywords.put(key, parseExpression(true));
            } else {
                if (!keywords.isEmpty()) {
                    throw error("positional argument follows keyword argument");
                }
                positional.add(parseExpression(true));
            }
        }
        expectOp(")");
        return new Args(positional, keywords, star, starStar);
    }

    private Expr parseFilterExpr(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp("|")) {
                pos++;
                node = parseFilterCall(node);
            } else if (t.isName("is")) {
                pos++;
                node = parseTest(node);
            } else if (t.isOp("(")) {
                node = new Ast.Call(node, parseCallArgs());
            } else {
                return node;
            }
        }
    }

    private Ast.Filter parseFilterCall(Expr value) {
        StringBuilder name = new StringBuilder(expect(Type.NAME).value());
        while (peek().isOp(".")) {
            pos++;
            name.append('.').append(expect(Type.NAME).value());
        }
        Args args = peek().isOp("(") ? parseCallArgs() : Args.NONE;
        return new Ast.Filter(value, name.toString(), args);
    }

    private Expr parseTest(Expr value) {
        boolean negated = false;
        if (peek().isName("not")) {
            pos++;
            negated = true;
        }
        StringBuilder name = new StringBuilder(expect(Type.NAME).value());
        while (peek().isOp(".")) {
            pos++;
            name.append('.').append(expect(Type.NAME).value());
        }
        Args args = Args.NONE;
        Token t = peek();
        if (t.isOp("(")) {
            args = parseCallArgs();
        } else if ((t.type() == Type.NAME || t.type() == Type.STRING || t.type() == Type.INTEGER
                || t.type() == Type.FLOAT || t.isOp("[") || t.isOp("{"))
                && !t.isName("else") && !t.isName("or") && !t.isName("and")) {
            if (t.isName("is")) {
                throw error("You cannot chain multiple tests with is");
            }
            Expr arg = parsePostfix(parsePrimary());
            args = new Args(List.of(arg), Map.of(), null, null);
        }
        return new Ast.Test(value, name.toString(), args, negated);
    }

    // ---- token helpers ----

    private Token peek() {
        return tokens.get(pos);
    }

    private Token next() {
        return tokens.get(pos++);
    }

    private Token expect(Type type) {
        Token t = next();
        if (t.type() != type) {
            pos--;
            throw error("expected " + type + ", got " + t);
        }
        return t;
    }

    private void expectOp(String op) {
        Token t = next();
        if (!t.isOp(op)) {
            pos--;
            throw error("expected '" + op + "', got " + t);
        }
    }

    private void expectName(String name) {
        Token t = next();
        if (!t.isName(name)) {
            pos--;
            throw error("expected '" + name + "', got " + t);
        }
    }

    private TemplateException error(String message) {
        return new TemplateException("template syntax error at line " + peek().line() + ": " + message);
    }
}
