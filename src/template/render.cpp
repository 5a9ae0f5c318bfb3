// render.cpp: evaluates a compiled unit against a render context. Values are read in
// place (a Ref points into the context) so a page of escaped rows copies almost nothing.
#include "ast.hpp"
#include "filters.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <optional>

namespace bulwark::tmpl::detail {
namespace {

const Value kUndefined;  // what an undefined name or missing member reads as

// Ref is an evaluated expression: a pointer into the context or the template, or a value
// computed here. `owned` is optional so that the common case, a pointer, constructs and
// destroys no Value (a variant's destructor is an indirect call even when empty).
struct Ref {
    const Value* p = nullptr;
    std::optional<Value> owned;
    bool defined = true;
    const Value& get() const { return p ? *p : owned ? *owned : kUndefined; }
    Value take() { return p ? *p : owned ? std::move(*owned) : Value(); }
};

// same_name compares variable names with an inline loop: they are a few bytes long and a
// libc memcmp call per scope entry showed in the profile of a loop over rows.
bool same_name(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

double as_number(const Value& v) { return v.is_int() ? static_cast<double>(v.as_int()) : v.as_double(); }
bool is_number(const Value& v) { return v.is_int() || v.is_double(); }

class Renderer {
public:
    Renderer(const Compiled& unit, const Map& ctx, const RenderOptions& options)
        : unit_(unit), ctx_(ctx), options_(options) {}

    bool list(const NodeList& nodes) {
        for (const auto& n : nodes) {
            if (!node(*n)) return false;
            if (out_.size() > unit_.limits.max_output_bytes) return fail(*n, ErrorCode::output_too_large, "output larger than the limit");
        }
        return true;
    }
    std::string out_;
    TemplateError error;

private:
    struct Binding {
        std::string_view name;
        const Value* ref = nullptr;
        Value owned;
        const Value& get() const { return ref ? *ref : owned; }
    };
    struct Loop {
        std::size_t index;
        std::size_t length;
    };

    bool fail(int line, int column, ErrorCode code, std::string msg) {
        if (error.message.empty()) error = {code, unit_.root_name, line, column, std::move(msg)};
        return false;
    }
    bool fail(const Node& n, ErrorCode code, std::string msg) { return fail(n.line, n.column, code, std::move(msg)); }
    bool fail(const Expr& e, std::string msg) { return fail(e.line, e.column, ErrorCode::render, std::move(msg)); }

    Binding* find_binding(std::string_view name) {
        // Iterators, not indexes: a deque index is a division and two loads.
        const auto first = scope_.begin() + static_cast<std::ptrdiff_t>(base_);
        for (auto it = scope_.end(); it != first;) {
            --it;
            if (same_name(it->name, name)) return &*it;
        }
        return nullptr;
    }
    void bind(std::string_view name, Value v, std::size_t frame) {
        for (std::size_t i = scope_.size(); i > frame; --i) {
            if (same_name(scope_[i - 1].name, name)) {
                scope_[i - 1].ref = nullptr;
                scope_[i - 1].owned = std::move(v);
                return;
            }
        }
        scope_.push_back({name, nullptr, std::move(v)});
    }

    bool node(const Node& n) {
        switch (n.kind) {
            case NodeKind::text: out_ += n.text; return true;
            case NodeKind::output: {
                if (const Value* v = nullptr; path(*n.expr, v)) {
                    emit(out_, v ? *v : kUndefined, n.escaper);
                    return true;
                }
                Ref r;
                if (!eval(*n.expr, r)) return false;
                emit(out_, r.get(), n.escaper);
                return true;
            }
            case NodeKind::if_:
                for (std::size_t i = 0; i < n.branches.size(); ++i) {
                    if (n.conds[i]) {
                        Ref r;
                        if (!eval(*n.conds[i], r)) return false;
                        if (!r.get().truthy()) continue;
                    }
                    return list(n.branches[i]);
                }
                return true;
            case NodeKind::for_: return for_loop(n);
            case NodeKind::set: {
                Ref r;
                if (!eval(*n.expr, r)) return false;
                bind(n.text, r.take(), frame_);
                return true;
            }
            case NodeKind::block: {
                auto it = unit_.blocks.find(n.text);
                const Node* def = (it == unit_.blocks.end() || it->second.empty()) ? &n : it->second.front();
                return list(def->body);
            }
            case NodeKind::super_: return n.super_target ? list(n.super_target->body) : true;
            case NodeKind::include: return list(n.included->body);
            case NodeKind::macro: return true;
        }
        return true;
    }

    bool for_loop(const Node& n) {
        Ref seq;
        if (!eval(*n.expr, seq)) return false;
        const Value& v = seq.get();
        List keys;  // iterating a map yields its keys, like Python
        const List* items = nullptr;
        if (v.is_list()) {
            items = &v.as_list();
        } else if (v.is_map()) {
            for (const auto& [k, item] : v.as_map()) {
                keys.push_back(n.vars.size() == 2 ? Value(List{Value(k), item}) : Value(k));
            }
            items = &keys;
        }
        if (items == nullptr || items->empty()) return list(n.else_body);
        std::size_t saved_frame = frame_;
        std::size_t start = scope_.size();
        for (const auto& var : n.vars) scope_.push_back({var, nullptr, Value()});
        frame_ = scope_.size();
        loops_.push_back({0, items->size()});
        bool ok = true;
        for (std::size_t i = 0; i < items->size() && ok; ++i) {
            if (++iterations_ > unit_.limits.max_loop_iterations) {
                ok = fail(n, ErrorCode::output_too_large, "loop iteration limit reached");
                break;
            }
            loops_.back().index = i;
            const Value& item = (*items)[i];
            if (n.vars.size() == 1) {
                scope_[start].ref = &item;
            } else {
                for (std::size_t k = 0; k < n.vars.size(); ++k) {
                    const Value* part = item.is_list() && k < item.as_list().size() ? &item.as_list()[k] : nullptr;
                    scope_[start + k].ref = part;
                    if (!part) scope_[start + k].owned = Value();
                }
            }
            ok = list(n.body);
            scope_.resize(frame_);
        }
        loops_.pop_back();
        scope_.resize(start);
        frame_ = saved_frame;
        return ok;
    }

    // lookup_name returns the variable `name` (a binding, else the render context), or
    // nullptr when it is undefined.
    const Value* lookup_name(std::string_view name) {
        if (Binding* b = find_binding(name)) return &b->get();
        return map_find(ctx_, name);
    }

    bool lookup(const Expr& e, Ref& r) {
        r.p = lookup_name(e.name);
        r.defined = r.p != nullptr;
        return true;
    }

    // path resolves a literal, a name or a chain of attributes on one (`row.user.name`) to a
    // pointer into the template or the context, with no Ref temporaries: most outputs of a
    // page are such chains. Returns false if `e` is another kind of expression; sets `out`
    // to nullptr when the value is undefined.
    bool path(const Expr& e, const Value*& out) {
        switch (e.kind) {
            case ExprKind::literal: out = &e.literal; return true;
            case ExprKind::name: out = lookup_name(e.name); return true;
            case ExprKind::attr: {
                const Value* obj = nullptr;
                if (!path(*e.args[0], obj)) return false;
                out = obj ? obj->find(e.name) : nullptr;
                return true;
            }
            default: return false;
        }
    }

    // member returns `m` from inside `obj`, copying it if `obj` is a temporary.
    static void member(const Ref& obj, const Value* m, Ref& r) {
        if (!m) {
            r.defined = false;
        } else if (obj.p) {
            r.p = m;
        } else {
            r.owned = *m;
        }
    }

    bool eval(const Expr& e, Ref& r) {
        switch (e.kind) {
            case ExprKind::literal: r.p = &e.literal; return true;
            case ExprKind::name: return lookup(e, r);
            case ExprKind::attr: {
                if (const Value* v = nullptr; path(e, v)) {
                    r.p = v;
                    r.defined = v != nullptr;
                    return true;
                }
                Ref obj;
                if (!eval(*e.args[0], obj)) return false;
                member(obj, obj.get().find(e.name), r);
                return true;
            }
            case ExprKind::index: {
                Ref obj, idx;
                if (!eval(*e.args[0], obj) || !eval(*e.args[1], idx)) return false;
                const Value& o = obj.get();
                const Value& i = idx.get();
                const Value* m = nullptr;
                if (o.is_list() && i.is_int()) {
                    auto size = static_cast<std::int64_t>(o.as_list().size());
                    std::int64_t k = i.as_int() < 0 ? i.as_int() + size : i.as_int();
                    if (k >= 0 && k < size) m = &o.as_list()[static_cast<std::size_t>(k)];
                } else if (o.is_map() && i.is_string()) {
                    m = o.find(i.as_string());
                }
                member(obj, m, r);
                return true;
            }
            case ExprKind::csp_nonce: r.owned.emplace(options_.csp_nonce); return true;
            case ExprKind::csrf_token: r.owned.emplace(options_.csrf_token); return true;
            case ExprKind::call: return call(e, r);
            case ExprKind::filter: {
                Ref subject;
                if (!eval(*e.args[0], subject)) return false;
                // No built-in filter reads past its third argument: fixed buffers save a heap
                // allocation per filtered output. Extra arguments are still evaluated.
                // Literal and path arguments are read in place; only computed ones need a
                // Ref, kept in a vector made on first use (an array of Refs on the stack was
                // zero-filled on every call, which showed in the profile).
                std::array<const Value*, kMaxFilterArgs> args;
                std::vector<Ref> computed;
                std::size_t count = 0;
                for (std::size_t i = 1; i < e.args.size(); ++i) {
                    const Value* v = nullptr;
                    if (!path(*e.args[i], v)) {
                        if (computed.empty()) computed.reserve(kMaxFilterArgs);  // no reallocation below
                        Ref extra;
                        Ref& a = count < kMaxFilterArgs ? computed.emplace_back() : extra;
                        if (!eval(*e.args[i], a)) return false;
                        v = &a.get();
                    }
                    if (count < args.size()) args[count++] = v ? v : &kUndefined;
                }
                std::string msg;
                if (!apply_filter(e.filter, subject.get(), std::span<const Value* const>(args.data(), count),
                                  r.owned.emplace(), msg))
                    return fail(e, e.name + ": " + msg);
                return true;
            }
            case ExprKind::test: {
                Ref subject;
                if (!eval(*e.args[0], subject)) return false;
                r.owned.emplace(apply_test(e.test, subject.get(), subject.defined && !subject.get().is_null()));
                return true;
            }
            case ExprKind::unary: {
                Ref x;
                if (!eval(*e.args[0], x)) return false;
                const Value& v = x.get();
                if (e.op == Op::not_) r.owned.emplace(!v.truthy());
                else if (v.is_int() && e.op == Op::neg && v.as_int() != INT64_MIN) r.owned.emplace(-v.as_int());
                else if (is_number(v)) r.owned = e.op == Op::neg ? Value(-as_number(v)) : v;
                else return fail(e, "unary operator on a non-number");
                return true;
            }
            case ExprKind::binary: return binary(e, r);
            case ExprKind::list: {
                List items;
                for (const auto& a : e.args) {
                    Ref x;
                    if (!eval(*a, x)) return false;
                    items.push_back(x.get());
                }
                r.owned.emplace(std::move(items));
                return true;
            }
            case ExprKind::map: {
                Map m;
                for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) {
                    Ref k, x;
                    if (!eval(*e.args[i], k) || !eval(*e.args[i + 1], x)) return false;
                    m.insert_or_assign(k.get().to_string(), x.get());
                }
                r.owned.emplace(std::move(m));
                return true;
            }
            case ExprKind::cond: {
                Ref c;
                if (!eval(*e.args[0], c)) return false;
                return eval(*e.args[c.get().truthy() ? 1 : 2], r);
            }
            case ExprKind::loop_attr: {
                if (loops_.empty()) return fail(e, "'loop' used outside a for loop");
                const Loop& l = loops_.back();
                switch (e.loop_field) {
                    case LoopField::index: r.owned.emplace(static_cast<std::int64_t>(l.index + 1)); break;
                    case LoopField::index0: r.owned.emplace(static_cast<std::int64_t>(l.index)); break;
                    case LoopField::first: r.owned.emplace(l.index == 0); break;
                    case LoopField::last: r.owned.emplace(l.index + 1 == l.length); break;
                    case LoopField::length: r.owned.emplace(static_cast<std::int64_t>(l.length)); break;
                    case LoopField::revindex: r.owned.emplace(static_cast<std::int64_t>(l.length - l.index)); break;
                    case LoopField::revindex0: r.owned.emplace(static_cast<std::int64_t>(l.length - l.index - 1)); break;
                }
                return true;
            }
        }
        return fail(e, "unknown expression");
    }

    bool call(const Expr& e, Ref& r) {
        const Expr& callee = *e.args[0];
        if (callee.kind == ExprKind::attr && e.args.size() == 1 &&
            (callee.name == "items" || callee.name == "keys" || callee.name == "values")) {
            Ref obj;
            if (!eval(*callee.args[0], obj)) return false;
            List out;
            if (obj.get().is_map()) {
                for (const auto& [k, v] : obj.get().as_map()) {
                    if (callee.name == "items") out.push_back(Value(List{Value(k), v}));
                    else out.push_back(callee.name == "keys" ? Value(k) : v);
                }
            }
            r.owned.emplace(std::move(out));
            return true;
        }
        auto it = callee.kind == ExprKind::name ? unit_.macros.find(callee.name) : unit_.macros.end();
        if (it == unit_.macros.end()) return fail(e, "call of something that is not a macro");
        const Node& m = *it->second;
        if (e.args.size() - 1 > m.vars.size()) return fail(e, "too many arguments to macro '" + m.text + "'");
        if (++calls_ > unit_.limits.max_call_depth)
            return fail(e.line, e.column, ErrorCode::too_deep, "macro calls nested too deep");
        std::vector<Value> args;
        for (std::size_t i = 0; i < m.vars.size(); ++i) {
            Ref a;
            const Expr* src = i + 1 < e.args.size() ? e.args[i + 1].get() : m.defaults[i].get();
            if (src && !eval(*src, a)) return false;
            args.push_back(src ? a.get() : Value());
        }
        std::size_t saved_base = base_, saved_frame = frame_, start = scope_.size();
        base_ = frame_ = start;  // a macro sees its parameters and the render context only
        for (std::size_t i = 0; i < m.vars.size(); ++i) scope_.push_back({m.vars[i], nullptr, std::move(args[i])});
        std::string saved_out;
        saved_out.swap(out_);
        bool ok = list(m.body);
        out_.swap(saved_out);
        scope_.resize(start);
        base_ = saved_base;
        frame_ = saved_frame;
        --calls_;
        if (!ok) return false;
        if (out_.size() + saved_out.size() > unit_.limits.max_output_bytes)
            return fail(e.line, e.column, ErrorCode::output_too_large, "output larger than the limit");
        // The macro body went through the contextual escaper in HTML text context, so its
        // output is HTML this engine produced, not data.
        r.owned.emplace(SafeHtml::trusted_unchecked(std::move(saved_out)));
        return true;
    }

    bool binary(const Expr& e, Ref& r) {
        Ref a;
        if (!eval(*e.args[0], a)) return false;
        if (e.op == Op::and_ || e.op == Op::or_) {
            bool t = a.get().truthy();
            if ((e.op == Op::and_) != t) {
                r = std::move(a);
                return true;
            }
            return eval(*e.args[1], r);
        }
        Ref b;
        if (!eval(*e.args[1], b)) return false;
        const Value& x = a.get();
        const Value& y = b.get();
        switch (e.op) {
            case Op::eq: r.owned.emplace(values_equal(x, y)); return true;
            case Op::ne: r.owned.emplace(!values_equal(x, y)); return true;
            case Op::lt: case Op::le: case Op::gt: case Op::ge: {
                int cmp = 0;
                if (is_number(x) && is_number(y)) cmp = as_number(x) < as_number(y) ? -1 : as_number(x) > as_number(y) ? 1 : 0;
                else if (x.is_string() && y.is_string()) cmp = x.as_string().compare(y.as_string());
                else return fail(e, "comparison of values that cannot be ordered");
                bool res = e.op == Op::lt ? cmp < 0 : e.op == Op::le ? cmp <= 0 : e.op == Op::gt ? cmp > 0 : cmp >= 0;
                r.owned.emplace(res);
                return true;
            }
            case Op::in: case Op::not_in: {
                bool found = false;
                if (y.is_string() && (x.is_string() || x.is_safe_html())) found = y.as_string().find(x.to_string()) != std::string::npos;
                else if (y.is_list()) {
                    for (const auto& item : y.as_list()) found = found || values_equal(item, x);
                } else if (y.is_map()) found = y.find(x.to_string()) != nullptr;
                r.owned.emplace(e.op == Op::in ? found : !found);
                return true;
            }
            case Op::concat: {
                std::string s = x.is_safe_html() ? x.as_safe_html().str() : x.to_string();
                s += y.is_safe_html() ? y.as_safe_html().str() : y.to_string();
                if (s.size() > unit_.limits.max_output_bytes) return fail(e, "string too long");
                r.owned.emplace(std::move(s));
                return true;
            }
            default: break;
        }
        return arith(e, x, y, r);
    }

    bool arith(const Expr& e, const Value& x, const Value& y, Ref& r) {
        if (e.op == Op::add && x.is_string() && y.is_string()) {
            if (x.as_string().size() + y.as_string().size() > unit_.limits.max_output_bytes) return fail(e, "string too long");
            r.owned.emplace(x.as_string() + y.as_string());
            return true;
        }
        if (!is_number(x) || !is_number(y)) return fail(e, "arithmetic on a non-number");
        if (x.is_int() && y.is_int()) {
            std::int64_t a = x.as_int(), b = y.as_int(), out = 0;
            bool overflow = false;
            switch (e.op) {
                case Op::add: overflow = __builtin_add_overflow(a, b, &out); break;
                case Op::sub: overflow = __builtin_sub_overflow(a, b, &out); break;
                case Op::mul: overflow = __builtin_mul_overflow(a, b, &out); break;
                case Op::floordiv: case Op::mod:
                    if (b == 0) return fail(e, "division by zero");
                    if (a == INT64_MIN && b == -1) { overflow = true; break; }
                    out = e.op == Op::floordiv ? a / b - ((a % b != 0) && ((a < 0) != (b < 0)))
                                               : ((a % b) + b) % b;
                    break;
                default: overflow = true; break;  // '/' is true division
            }
            if (!overflow) {
                r.owned.emplace(out);
                return true;
            }
        }
        double a = as_number(x), b = as_number(y);
        double out = 0;
        switch (e.op) {
            case Op::add: out = a + b; break;
            case Op::sub: out = a - b; break;
            case Op::mul: out = a * b; break;
            case Op::div: case Op::floordiv: case Op::mod:
                if (b == 0) return fail(e, "division by zero");
                out = e.op == Op::div ? a / b : e.op == Op::floordiv ? std::floor(a / b) : a - b * std::floor(a / b);
                break;
            default: return fail(e, "unknown operator");
        }
        r.owned.emplace(out);
        return true;
    }

    const Compiled& unit_;
    const Map& ctx_;
    const RenderOptions& options_;
    std::deque<Binding> scope_;
    std::size_t base_ = 0;
    std::size_t frame_ = 0;
    std::vector<Loop> loops_;
    std::size_t iterations_ = 0;
    int calls_ = 0;
};

}  // namespace

Result<std::string, TemplateError> render_unit(const Compiled& unit, const Map& context,
                                               const RenderOptions& options) {
    Renderer r(unit, context, options);
    r.out_.reserve(std::min(unit.size_hint.load(std::memory_order_relaxed) + 256, unit.limits.max_output_bytes));
    if (!r.list(*unit.root)) return r.error;
    unit.size_hint.store(r.out_.size(), std::memory_order_relaxed);
    return std::move(r.out_);
}

}  // namespace bulwark::tmpl::detail
