// analyze.cpp: the load-time contextual escaper (Go's escape.go). It walks the unit from
// the root template in HTML text context, runs transition() over literal text, picks an
// escaper for every output, and refuses branches and loops that would leave the page in
// different contexts depending on data.
#include "ast.hpp"

namespace bulwark::tmpl::detail {
namespace {

class Analyzer {
public:
    explicit Analyzer(Compiled& unit) : unit_(unit) {}

    bool run() {
        Context c;
        file_ = unit_.root_name;
        if (!list(*unit_.root, c)) return false;
        // Macros are called from HTML text and return HTML, so they must start and end there.
        for (auto& [name, node] : unit_.macros) {
            auto* m = const_cast<Node*>(node);
            file_ = unit_.macro_files[node];
            Context mc;
            if (!list(m->body, mc)) return false;
            if (mc.state != State::text)
                return fail(*m, "macro '" + name + "' ends in " + describe(mc) + ", not HTML text");
        }
        return true;
    }
    TemplateError error;

private:
    bool fail(const Node& n, std::string msg) {
        error = {ErrorCode::unsafe_context, file_, n.line, n.column, std::move(msg)};
        return false;
    }

    bool list(NodeList& nodes, Context& c) {
        if (++depth_ > unit_.limits.max_nesting_depth * 4) {
            error = {ErrorCode::too_deep, file_, 0, 0, "template nesting too deep"};
            return false;
        }
        for (auto& n : nodes) {
            if (!node(*n, c)) return false;
        }
        --depth_;
        return true;
    }

    // once escapes a body for one start context; a second use must start in the same one.
    bool once(Node& owner, NodeList& body, Context& c) {
        if (owner.analyzed) {
            if (!(owner.start == c))
                return fail(owner, "the same block is used in two different contexts (" +
                                       describe(owner.start) + " and " + describe(c) + ")");
            c = owner.end;
            return true;
        }
        owner.analyzed = true;
        owner.start = c;
        if (!list(body, c)) return false;
        owner.end = c;
        return true;
    }

    bool node(Node& n, Context& c) {
        std::string msg;
        switch (n.kind) {
            case NodeKind::text:
                if (!transition(c, n.text, msg)) return fail(n, msg);
                return true;
            case NodeKind::output:
                if (!plan_output(c, n.escaper, msg)) return fail(n, msg + " (context: " + describe(c) + ")");
                // `var x = {{ data|tojson }}`: the JS escaper already writes JSON.
                if (n.escaper.primary == Primary::js_value && n.expr->kind == ExprKind::filter &&
                    n.expr->filter == Filter::tojson && n.expr->args.size() == 1) {
                    ExprPtr inner = std::move(n.expr->args[0]);
                    n.expr = std::move(inner);
                }
                return true;
            case NodeKind::if_: {
                Context out;
                bool have = false;
                bool has_else = false;
                for (std::size_t i = 0; i < n.branches.size(); ++i) {
                    if (!n.conds[i]) has_else = true;
                    Context b = c;
                    if (!list(n.branches[i], b)) return false;
                    if (!merge(n, have, out, b)) return false;
                }
                if (!has_else && !merge(n, have, out, c)) return false;
                c = out;
                return true;
            }
            case NodeKind::for_: {
                Context body = c;
                if (!list(n.body, body)) return false;
                Context joined;
                if (!join(c, body, joined) || !(joined == c))
                    return fail(n, "loop body ends in " + describe(body) + ", not in " + describe(c) +
                                       " where it started");
                Context other = c;
                if (!list(n.else_body, other)) return false;
                if (!join(c, other, joined))
                    return fail(n, "loop else ends in " + describe(other) + ", not " + describe(c));
                c = joined;
                return true;
            }
            case NodeKind::set:
            case NodeKind::macro:
                return true;
            case NodeKind::include: {
                std::string saved = file_;
                file_ = n.included->name;
                bool ok = list(const_cast<NodeList&>(n.included->body), c);
                file_ = saved;
                return ok;
            }
            case NodeKind::block: {
                auto it = unit_.blocks.find(n.text);
                if (it == unit_.blocks.end() || it->second.empty()) return once(n, n.body, c);
                auto* def = const_cast<Node*>(it->second.front());
                stack_.push_back({n.text, 0});
                bool ok = once(*def, def->body, c);
                stack_.pop_back();
                return ok;
            }
            case NodeKind::super_: {
                if (stack_.empty()) return fail(n, "super() outside a block");
                auto [name, level] = stack_.back();
                const auto& chain = unit_.blocks[name];
                if (level + 1 >= chain.size()) return fail(n, "super() in a block with no parent block");
                auto* parent = const_cast<Node*>(chain[level + 1]);
                n.super_target = parent;
                stack_.push_back({name, level + 1});
                bool ok = once(*parent, parent->body, c);
                stack_.pop_back();
                return ok;
            }
        }
        return true;
    }

    bool merge(const Node& n, bool& have, Context& acc, const Context& b) {
        if (!have) {
            acc = b;
            have = true;
            return true;
        }
        Context j;
        if (!join(acc, b, j))
            return fail(n, "branches end in different contexts (" + describe(acc) + " and " + describe(b) + ")");
        acc = j;
        return true;
    }

    Compiled& unit_;
    std::string file_;
    int depth_ = 0;
    std::vector<std::pair<std::string, std::size_t>> stack_;
};

}  // namespace

Result<void, TemplateError> analyze(Compiled& unit) {
    Analyzer a(unit);
    if (!a.run()) return a.error;
    return {};
}

}  // namespace bulwark::tmpl::detail
