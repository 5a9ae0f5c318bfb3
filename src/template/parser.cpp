// parser.cpp: recursive descent over the lexer's tokens into the tree of ast.hpp. Depth is
// bounded (Limits::max_nesting_depth) for statements and expressions alike.
#include "ast.hpp"
#include "filters.hpp"
#include "lexer.hpp"

namespace bulwark::tmpl::detail {
namespace {

class Parser {
public:
    Parser(std::vector<Token> toks, std::string_view name, const Limits& limits)
        : t_(std::move(toks)), name_(name), limits_(limits) {}

    bool run(ParsedTemplate& out) {
        std::string stop;
        if (!body(out.body, {}, stop, &out)) return false;
        if (!stop.empty()) return fail("unexpected '" + stop + "'", at());
        return true;
    }
    TemplateError error;

private:
    const Token& at() const { return t_[pos_]; }
    const Token& next() { return t_[pos_ < t_.size() - 1 ? pos_++ : pos_]; }
    bool is_op(std::string_view op) const { return at().kind == Tok::op && at().text == op; }
    bool is_name(std::string_view n) const { return at().kind == Tok::name && at().text == n; }
    bool fail(std::string msg, const Token& tok) {
        if (error.message.empty()) error = {ErrorCode::syntax, std::string(name_), tok.line, tok.column, std::move(msg)};
        return false;
    }
    bool expect_op(std::string_view op) {
        if (!is_op(op)) return fail("expected '" + std::string(op) + "'", at());
        next();
        return true;
    }
    bool expect_end() {
        if (at().kind != Tok::end) return fail("expected end of tag", at());
        next();
        return true;
    }
    bool expect_name(std::string& out) {
        if (at().kind != Tok::name) return fail("expected a name", at());
        out = next().text;
        return true;
    }
    struct DepthGuard {
        Parser& p;
        explicit DepthGuard(Parser& parser) : p(parser) { ++p.depth_; }
        ~DepthGuard() { --p.depth_; }
    };
    bool too_deep() {
        if (depth_ <= limits_.max_nesting_depth) return false;
        error = {ErrorCode::too_deep, std::string(name_), at().line, at().column, "nesting too deep"};
        return true;
    }

    std::unique_ptr<Node> make(NodeKind k, const Token& tok) {
        auto n = std::make_unique<Node>();
        n->kind = k;
        n->line = tok.line;
        n->column = tok.column;
        return n;
    }

    // body parses nodes until one of `stops` opens a statement; `stop` receives its keyword
    // (the tag is left unconsumed after the keyword).
    bool body(NodeList& out, std::initializer_list<std::string_view> stops, std::string& stop,
              ParsedTemplate* top) {
        DepthGuard guard(*this);
        if (too_deep()) return false;
        while (at().kind != Tok::eof) {
            const Token& tok = at();
            if (tok.kind == Tok::text) {
                auto n = make(NodeKind::text, tok);
                n->text = next().text;
                out.push_back(std::move(n));
            } else if (tok.kind == Tok::output_begin) {
                next();
                auto n = make(NodeKind::output, tok);
                if (is_name("super") && t_[pos_ + 1].kind == Tok::op && t_[pos_ + 1].text == "(") {
                    next();
                    next();
                    if (!expect_op(")")) return false;
                    n->kind = NodeKind::super_;
                } else if (!(n->expr = expression())) {
                    return false;
                }
                if (!expect_end()) return false;
                out.push_back(std::move(n));
            } else if (tok.kind == Tok::stmt_begin) {
                next();
                if (at().kind != Tok::name) return fail("expected a statement keyword", at());
                std::string kw = at().text;
                for (auto s : stops) {
                    if (kw == s) {
                        stop = kw;
                        next();
                        return true;
                    }
                }
                next();
                if (!statement(kw, tok, out, top)) return false;
            } else {
                return fail("unexpected token", tok);
            }
        }
        stop.clear();
        if (stops.size() != 0) return fail("missing end tag (expected '" + std::string(*stops.begin()) + "')", at());
        return true;
    }

    bool end_tag(std::string_view keyword, const Token& opener, std::string_view name_check = {}) {
        (void)opener;
        if (!name_check.empty() && at().kind == Tok::name) {
            if (at().text != name_check) return fail(std::string("end tag names a different ") + std::string(keyword), at());
            next();
        }
        return expect_end();
    }

    bool statement(const std::string& kw, const Token& tok, NodeList& out, ParsedTemplate* top) {
        std::string stop;
        if (kw == "if") {
            auto n = make(NodeKind::if_, tok);
            ExprPtr cond = expression();
            if (!cond || !expect_end()) return false;
            while (true) {
                NodeList branch;
                if (!body(branch, {"elif", "else", "endif"}, stop, nullptr)) return false;
                n->conds.push_back(std::move(cond));
                n->branches.push_back(std::move(branch));
                if (stop == "endif") break;
                if (stop == "elif") {
                    if (!(cond = expression()) || !expect_end()) return false;
                } else {
                    if (!expect_end()) return false;
                    NodeList last;
                    if (!body(last, {"endif"}, stop, nullptr)) return false;
                    n->conds.push_back(nullptr);
                    n->branches.push_back(std::move(last));
                    break;
                }
            }
            out.push_back(std::move(n));
            return expect_end();
        }
        if (kw == "for") {
            auto n = make(NodeKind::for_, tok);
            do {
                std::string var;
                if (!expect_name(var)) return false;
                n->vars.push_back(var);
            } while (is_op(",") && (next(), true));
            if (!is_name("in")) return fail("expected 'in'", at());
            next();
            if (!(n->expr = or_expr()) || !expect_end()) return false;
            if (!body(n->body, {"else", "endfor"}, stop, nullptr)) return false;
            if (stop == "else") {
                if (!expect_end() || !body(n->else_body, {"endfor"}, stop, nullptr)) return false;
            }
            out.push_back(std::move(n));
            return expect_end();
        }
        if (kw == "set") {
            auto n = make(NodeKind::set, tok);
            if (!expect_name(n->text) || !expect_op("=") || !(n->expr = expression()) || !expect_end()) return false;
            out.push_back(std::move(n));
            return true;
        }
        if (kw == "block") {
            auto n = make(NodeKind::block, tok);
            if (!expect_name(n->text) || !expect_end()) return false;
            if (!body(n->body, {"endblock"}, stop, nullptr)) return false;
            if (!end_tag("block", tok, n->text)) return false;
            out.push_back(std::move(n));
            return true;
        }
        if (kw == "extends") {
            if (top == nullptr || !top->extends.empty()) return fail("'extends' must be a top-level statement, once", tok);
            if (at().kind != Tok::string) return fail("extends needs a string literal name", at());
            top->extends = next().text;
            top->extends_line = tok.line;
            return expect_end();
        }
        if (kw == "include") {
            auto n = make(NodeKind::include, tok);
            if (at().kind != Tok::string) return fail("include needs a string literal name", at());
            n->text = next().text;
            out.push_back(std::move(n));
            return expect_end();
        }
        if (kw == "macro") {
            auto n = make(NodeKind::macro, tok);
            if (!expect_name(n->text) || !expect_op("(")) return false;
            while (!is_op(")")) {
                std::string param;
                if (!expect_name(param)) return false;
                n->vars.push_back(param);
                ExprPtr def;
                if (is_op("=")) {
                    next();
                    if (!(def = expression())) return false;
                }
                n->defaults.push_back(std::move(def));
                if (!is_op(")") && !expect_op(",")) return false;
            }
            next();
            if (!expect_end() || !body(n->body, {"endmacro"}, stop, nullptr)) return false;
            if (!end_tag("macro", tok, n->text)) return false;
            out.push_back(std::move(n));
            return true;
        }
        return fail("unknown statement '" + kw + "'", tok);
    }

    ExprPtr node(ExprKind k, const Token& tok) {
        auto e = std::make_unique<Expr>();
        e->kind = k;
        e->line = tok.line;
        e->column = tok.column;
        return e;
    }
    ExprPtr binary(Op op, ExprPtr l, ExprPtr r, const Token& tok) {
        auto e = node(ExprKind::binary, tok);
        e->op = op;
        e->args.push_back(std::move(l));
        e->args.push_back(std::move(r));
        return e;
    }

    ExprPtr expression() {
        DepthGuard guard(*this);
        if (too_deep()) return nullptr;
        const Token& tok = at();
        ExprPtr value = or_expr();
        if (!value || !is_name("if")) return value;
        next();
        auto e = node(ExprKind::cond, tok);
        ExprPtr cond = or_expr();
        if (!cond) return nullptr;
        ExprPtr other;
        if (is_name("else")) {
            next();
            if (!(other = expression())) return nullptr;
        } else {
            other = node(ExprKind::literal, tok);
        }
        e->args.push_back(std::move(cond));
        e->args.push_back(std::move(value));
        e->args.push_back(std::move(other));
        return e;
    }
    ExprPtr or_expr() {
        ExprPtr l = and_expr();
        while (l && is_name("or")) {
            const Token& tok = next();
            ExprPtr r = and_expr();
            if (!r) return nullptr;
            l = binary(Op::or_, std::move(l), std::move(r), tok);
        }
        return l;
    }
    ExprPtr and_expr() {
        ExprPtr l = not_expr();
        while (l && is_name("and")) {
            const Token& tok = next();
            ExprPtr r = not_expr();
            if (!r) return nullptr;
            l = binary(Op::and_, std::move(l), std::move(r), tok);
        }
        return l;
    }
    ExprPtr not_expr() {
        if (!is_name("not")) return compare();
        DepthGuard guard(*this);
        if (too_deep()) return nullptr;
        const Token& tok = next();
        auto e = node(ExprKind::unary, tok);
        e->op = Op::not_;
        if (!(e->args.emplace_back(not_expr()))) return nullptr;
        return e;
    }
    ExprPtr compare() {
        ExprPtr l = arith(0);
        while (l) {
            const Token& tok = at();
            Op op = Op::none;
            if (tok.kind == Tok::op) {
                if (tok.text == "==") op = Op::eq;
                else if (tok.text == "!=") op = Op::ne;
                else if (tok.text == "<") op = Op::lt;
                else if (tok.text == "<=") op = Op::le;
                else if (tok.text == ">") op = Op::gt;
                else if (tok.text == ">=") op = Op::ge;
            } else if (is_name("in")) {
                op = Op::in;
            } else if (is_name("not") && t_[pos_ + 1].kind == Tok::name && t_[pos_ + 1].text == "in") {
                next();
                op = Op::not_in;
            } else if (is_name("is")) {
                next();
                auto e = node(ExprKind::test, tok);
                bool negate = is_name("not") && (next(), true);
                if (!expect_name(e->name)) return nullptr;
                if (!find_test(e->name, e->test)) return fail("unknown test '" + e->name + "'", tok), nullptr;
                e->args.push_back(std::move(l));
                if (negate) {
                    auto n = node(ExprKind::unary, tok);
                    n->op = Op::not_;
                    n->args.push_back(std::move(e));
                    l = std::move(n);
                } else {
                    l = std::move(e);
                }
                continue;
            }
            if (op == Op::none) return l;
            next();
            ExprPtr r = arith(0);
            if (!r) return nullptr;
            l = binary(op, std::move(l), std::move(r), tok);
        }
        return l;
    }
    // arith: level 0 is '~', 1 is '+ -', 2 is '* / // %'.
    ExprPtr arith(int level) {
        if (level == 3) return unary();
        ExprPtr l = arith(level + 1);
        while (l && at().kind == Tok::op) {
            const std::string& s = at().text;
            Op op = level == 0 ? (s == "~" ? Op::concat : Op::none)
                    : level == 1 ? (s == "+" ? Op::add : s == "-" ? Op::sub : Op::none)
                    : (s == "*" ? Op::mul : s == "/" ? Op::div : s == "//" ? Op::floordiv : s == "%" ? Op::mod : Op::none);
            if (op == Op::none) break;
            const Token& tok = next();
            ExprPtr r = arith(level + 1);
            if (!r) return nullptr;
            l = binary(op, std::move(l), std::move(r), tok);
        }
        return l;
    }
    ExprPtr unary() {
        if (is_op("-") || is_op("+")) {
            DepthGuard guard(*this);
            if (too_deep()) return nullptr;
            const Token& tok = next();
            auto e = node(ExprKind::unary, tok);
            e->op = tok.text == "-" ? Op::neg : Op::pos;
            if (!(e->args.emplace_back(unary()))) return nullptr;
            return e;
        }
        return filtered();
    }
    bool call_args(Expr& e) {
        next();  // '('
        while (!is_op(")")) {
            ExprPtr a = expression();
            if (!a) return false;
            e.args.push_back(std::move(a));
            if (!is_op(")") && !expect_op(",")) return false;
        }
        next();
        return true;
    }
    ExprPtr filtered() {
        ExprPtr e = postfix();
        while (e && is_op("|")) {
            next();
            auto f = node(ExprKind::filter, at());
            if (!expect_name(f->name)) return nullptr;
            if (!find_filter(f->name, f->filter)) return fail("unknown filter '" + f->name + "'", t_[pos_ - 1]), nullptr;
            f->args.push_back(std::move(e));
            if (is_op("(") && !call_args(*f)) return nullptr;
            e = std::move(f);
        }
        return e;
    }
    ExprPtr postfix() {
        ExprPtr e = primary();
        while (e) {
            const Token& tok = at();
            if (is_op(".")) {
                next();
                std::string attr;
                if (at().kind == Tok::integer) attr = next().text;
                else if (!expect_name(attr)) return nullptr;
                if (e->kind == ExprKind::name && e->name == "loop") {
                    static constexpr std::pair<std::string_view, LoopField> kFields[] = {
                        {"index", LoopField::index}, {"index0", LoopField::index0}, {"first", LoopField::first},
                        {"last", LoopField::last}, {"length", LoopField::length},
                        {"revindex", LoopField::revindex}, {"revindex0", LoopField::revindex0}};
                    bool found = false;
                    for (auto [n, f] : kFields) {
                        if (attr == n) {
                            e->kind = ExprKind::loop_attr;
                            e->loop_field = f;
                            found = true;
                        }
                    }
                    if (!found) return fail("unknown loop attribute '" + attr + "'", tok), nullptr;
                    continue;
                }
                auto a = node(ExprKind::attr, tok);
                a->name = attr;
                a->args.push_back(std::move(e));
                e = std::move(a);
            } else if (is_op("[")) {
                next();
                auto a = node(ExprKind::index, tok);
                a->args.push_back(std::move(e));
                ExprPtr idx = expression();
                if (!idx || !expect_op("]")) return nullptr;
                a->args.push_back(std::move(idx));
                e = std::move(a);
            } else if (is_op("(")) {
                auto c = node(ExprKind::call, tok);
                if (e->kind == ExprKind::name && (e->name == "csp_nonce" || e->name == "csrf_token")) {
                    c->kind = e->name == "csp_nonce" ? ExprKind::csp_nonce : ExprKind::csrf_token;
                }
                c->args.push_back(std::move(e));
                if (!call_args(*c)) return nullptr;
                e = std::move(c);
            } else {
                break;
            }
        }
        return e;
    }
    ExprPtr primary() {
        DepthGuard guard(*this);
        if (too_deep()) return nullptr;
        const Token& tok = at();
        auto e = node(ExprKind::literal, tok);
        switch (tok.kind) {
            case Tok::string: e->literal = Value(next().text); return e;
            case Tok::integer: {
                std::int64_t v = 0;
                for (char d : tok.text) {
                    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d - '0', &v))
                        return fail("integer literal too large", tok), nullptr;
                }
                next();
                e->literal = Value(v);
                return e;
            }
            case Tok::floating: e->literal = Value(std::strtod(next().text.c_str(), nullptr)); return e;
            case Tok::name: {
                const std::string& n = tok.text;
                if (n == "true" || n == "True") e->literal = Value(true);
                else if (n == "false" || n == "False") e->literal = Value(false);
                else if (n == "none" || n == "None") e->literal = Value();
                else {
                    e->kind = ExprKind::name;
                    e->name = n;
                }
                next();
                return e;
            }
            case Tok::op:
                if (tok.text == "(") {
                    next();
                    ExprPtr inner = expression();
                    if (!inner || !expect_op(")")) return nullptr;
                    return inner;
                }
                if (tok.text == "[" || tok.text == "{") {
                    bool is_map = tok.text == "{";
                    next();
                    e->kind = is_map ? ExprKind::map : ExprKind::list;
                    std::string_view close = is_map ? "}" : "]";
                    while (!is_op(close)) {
                        ExprPtr item = expression();
                        if (!item) return nullptr;
                        e->args.push_back(std::move(item));
                        if (is_map) {
                            if (!expect_op(":") || !(item = expression())) return nullptr;
                            e->args.push_back(std::move(item));
                        }
                        if (!is_op(close) && !expect_op(",")) return nullptr;
                    }
                    next();
                    return e;
                }
                break;
            default: break;
        }
        return fail("expected an expression", tok), nullptr;
    }

    std::vector<Token> t_;
    std::size_t pos_ = 0;
    std::string_view name_;
    const Limits& limits_;
    int depth_ = 0;
};

}  // namespace

Result<std::unique_ptr<ParsedTemplate>, TemplateError> parse(std::string_view source,
                                                              std::string_view name,
                                                              const Limits& limits) {
    if (source.size() > limits.max_template_bytes)
        return TemplateError{ErrorCode::too_large, std::string(name), 0, 0, "template larger than the limit"};
    std::vector<Token> toks;
    std::string msg;
    int line = 0;
    int column = 0;
    if (!lex(source, toks, msg, line, column))
        return TemplateError{ErrorCode::syntax, std::string(name), line, column, msg};
    auto out = std::make_unique<ParsedTemplate>();
    out->name = std::string(name);
    Parser p(std::move(toks), name, limits);
    if (!p.run(*out)) return p.error;
    return out;
}

}  // namespace bulwark::tmpl::detail
