// ast.hpp: the parsed form of a template, and the compiled unit (a template, its parents
// and includes, parsed and escaped together).
#pragma once

#include "context.hpp"
#include "escape.hpp"
#include "filters.hpp"

#include <bulwark/template.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bulwark::tmpl::detail {

enum class Op : std::uint8_t {
    none, eq, ne, lt, le, gt, ge, in, not_in, and_, or_, not_, neg, pos, add, sub, mul, div,
    floordiv, mod, concat
};

enum class ExprKind : std::uint8_t {
    literal, name, attr, index, call, filter, test, unary, binary, list, map, cond,
    loop_attr, csp_nonce, csrf_token
};

enum class LoopField : std::uint8_t { index, index0, first, last, length, revindex, revindex0 };

struct Expr {
    ExprKind kind = ExprKind::literal;
    Op op = Op::none;
    LoopField loop_field = LoopField::index;
    Filter filter = Filter::escape;  // filter: resolved by the parser
    Test test = Test::defined;       // test: resolved by the parser
    int line = 0;
    int column = 0;
    Value literal;
    std::string name;  // variable, attribute, filter, test or callee name
    std::vector<std::unique_ptr<Expr>> args;
};
using ExprPtr = std::unique_ptr<Expr>;

enum class NodeKind : std::uint8_t { text, output, if_, for_, set, block, include, macro, super_ };

struct ParsedTemplate;
struct Node;
using NodeList = std::vector<std::unique_ptr<Node>>;

struct Node {
    NodeKind kind = NodeKind::text;
    int line = 0;
    int column = 0;
    std::string text;   // literal text; block, macro or include name; set target
    ExprPtr expr;       // output value, for iterable, set value
    std::vector<ExprPtr> conds;         // if: one per branch, nullptr for else
    std::vector<NodeList> branches;     // if branches
    NodeList body;                      // for, block, macro
    NodeList else_body;                 // for ... else
    std::vector<std::string> vars;      // for targets, macro parameters
    std::vector<ExprPtr> defaults;      // macro parameter defaults (nullptr: none)
    Escaper escaper;                    // output
    const ParsedTemplate* included = nullptr;  // include, resolved at load
    const Node* super_target = nullptr;        // super(): the parent block
    // Analysis bookkeeping: a body is escaped for one start context only.
    bool analyzed = false;
    Context start;
    Context end;
};

struct ParsedTemplate {
    std::string name;
    std::string extends;  // parent name, empty if none
    int extends_line = 0;
    NodeList body;
};

}  // namespace bulwark::tmpl::detail

namespace bulwark::tmpl {
// Compiled: a template with its parents and includes, parsed and escaped together.
struct Compiled {
    std::vector<std::unique_ptr<detail::ParsedTemplate>> parts;
    detail::NodeList* root = nullptr;
    std::string root_name;
    // Block name -> definitions, most derived first.
    std::map<std::string, std::vector<const detail::Node*>, std::less<>> blocks;
    std::map<std::string, const detail::Node*, std::less<>> macros;
    std::map<const detail::Node*, std::string> macro_files;
    Limits limits;
    mutable std::atomic<std::size_t> size_hint{0};  // last output size: one allocation per render
    std::vector<std::pair<std::filesystem::path, std::filesystem::file_time_type>> files;
    // Development (auto_reload): when `files` were last found unchanged; under the Environment's mutex.
    mutable std::chrono::steady_clock::time_point checked_at{};
};
}  // namespace bulwark::tmpl

namespace bulwark::tmpl::detail {
using tmpl::Compiled;


// parse turns template source into a tree; errors carry file, line and column.
Result<std::unique_ptr<ParsedTemplate>, TemplateError> parse(std::string_view source,
                                                              std::string_view name,
                                                              const Limits& limits);

// analyze runs the contextual escaper over the unit, filling every output's escaper.
Result<void, TemplateError> analyze(Compiled& unit);

// render_unit renders a compiled unit.
Result<std::string, TemplateError> render_unit(const Compiled& unit, const Map& context,
                                               const RenderOptions& options);

}  // namespace bulwark::tmpl::detail
