// environment.cpp: loading templates by name, resolving extends/include, caching the
// compiled unit, and reloading it in development when a file it came from changes.
#include "ast.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

namespace bulwark::tmpl {

struct Environment::State {
    Config config;
    std::mutex mu;
    std::map<std::string, std::string, std::less<>> sources;
    std::map<std::string, std::shared_ptr<const Compiled>, std::less<>> cache;
};

namespace {
using detail::Node;
using detail::NodeKind;
using detail::NodeList;
using detail::ParsedTemplate;

// safe_name refuses absolute paths, '..' segments, backslashes and control characters, so a
// template name can never leave the template root.
bool safe_name(std::string_view name) {
    if (name.empty() || name.size() > 255 || name.front() == '/') return false;
    for (char ch : name) {
        if (static_cast<unsigned char>(ch) < 0x20 || ch == '\\' || ch == 0x7F) return false;
    }
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t slash = name.find('/', start);
        std::string_view seg = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (seg.empty() || seg == "." || seg == "..") return false;
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return true;
}

class Compiler {
public:
    Compiler(Environment::State& env, detail::Compiled& unit) : env_(env), unit_(unit) {}

    Result<void, TemplateError> compile(std::string_view name, const std::string* inline_source) {
        unit_.limits = env_.config.limits;
        unit_.root_name = std::string(name);
        auto first = inline_source ? detail::parse(*inline_source, name, unit_.limits) : load(name, name, 0);
        if (!first) return first.error();
        std::vector<ParsedTemplate*> chain{first->get()};
        unit_.parts.push_back(std::move(*first));
        while (!chain.back()->extends.empty()) {
            if (static_cast<int>(chain.size()) > unit_.limits.max_include_depth)
                return TemplateError{ErrorCode::too_deep, chain.back()->name, chain.back()->extends_line, 1, "extends chain too deep"};
            auto parent = load(chain.back()->extends, chain.back()->name, chain.back()->extends_line);
            if (!parent) return parent.error();
            chain.push_back(parent->get());
            unit_.parts.push_back(std::move(*parent));
        }
        for (std::size_t i = 0; i < chain.size(); ++i) {
            std::map<std::string, int, std::less<>> seen;
            if (auto r = collect(chain[i]->body, *chain[i], &seen, 0); !r) return r;
        }
        unit_.root = &chain.back()->body;
        return detail::analyze(unit_);
    }

private:
    Result<std::unique_ptr<ParsedTemplate>, TemplateError> load(std::string_view name, std::string_view from, int line) {
        auto not_found = [&] {
            return TemplateError{ErrorCode::not_found, std::string(from), line, 1,
                                 "template '" + std::string(name) + "' not found"};
        };
        if (!safe_name(name)) return not_found();
        if (auto it = env_.sources.find(name); it != env_.sources.end())
            return detail::parse(it->second, name, unit_.limits);
        if (env_.config.root.empty()) return not_found();
        std::filesystem::path path = env_.config.root / std::filesystem::path(std::string(name));
        std::error_code ec;
        auto size = std::filesystem::file_size(path, ec);
        if (ec) return not_found();
        if (size > unit_.limits.max_template_bytes)
            return TemplateError{ErrorCode::too_large, std::string(name), 0, 0, "template larger than the limit"};
        auto mtime = std::filesystem::last_write_time(path, ec);
        std::ifstream in(path, std::ios::binary);
        if (!in) return not_found();
        std::string source(static_cast<std::size_t>(size), '\0');
        in.read(source.data(), static_cast<std::streamsize>(size));
        source.resize(static_cast<std::size_t>(in.gcount()));
        unit_.files.emplace_back(path, mtime);
        return detail::parse(source, name, unit_.limits);
    }

    // collect resolves includes, records blocks (in extends order) and macros.
    Result<void, TemplateError> collect(NodeList& nodes, const ParsedTemplate& file,
                                        std::map<std::string, int, std::less<>>* blocks, int include_depth) {
        for (auto& n : nodes) {
            switch (n->kind) {
                case NodeKind::block:
                    if (blocks) {
                        if ((*blocks)[n->text]++ > 0)
                            return TemplateError{ErrorCode::syntax, file.name, n->line, n->column, "block '" + n->text + "' defined twice"};
                        unit_.blocks[n->text].push_back(n.get());
                    }
                    break;
                case NodeKind::macro:
                    unit_.macros[n->text] = n.get();
                    unit_.macro_files[n.get()] = file.name;
                    break;
                case NodeKind::include: {
                    if (include_depth >= unit_.limits.max_include_depth)
                        return TemplateError{ErrorCode::too_deep, file.name, n->line, n->column, "includes nested too deep"};
                    auto inc = load(n->text, file.name, n->line);
                    if (!inc) return inc.error();
                    if (!(*inc)->extends.empty())
                        return TemplateError{ErrorCode::syntax, file.name, n->line, n->column, "an included template cannot use extends"};
                    ParsedTemplate* p = inc->get();
                    unit_.parts.push_back(std::move(*inc));
                    n->included = p;
                    if (auto r = collect(p->body, *p, nullptr, include_depth + 1); !r) return r;
                    break;
                }
                default: break;
            }
            for (auto& b : n->branches) {
                if (auto r = collect(b, file, blocks, include_depth); !r) return r;
            }
            if (auto r = collect(n->body, file, n->kind == NodeKind::macro ? nullptr : blocks, include_depth); !r) return r;
            if (auto r = collect(n->else_body, file, blocks, include_depth); !r) return r;
        }
        return {};
    }

    Environment::State& env_;
    detail::Compiled& unit_;
};

constexpr std::chrono::milliseconds kRecheckAfter{10};

bool stale(const detail::Compiled& unit) {
    for (const auto& [path, mtime] : unit.files) {
        std::error_code ec;
        auto now = std::filesystem::last_write_time(path, ec);
        if (ec || now != mtime) return true;
    }
    return false;
}

}  // namespace

Result<std::string, TemplateError> Template::render(const Map& context, const RenderOptions& options) const {
    return detail::render_unit(*compiled_, context, options);
}

Environment::Environment(Config config) : state_(std::make_unique<State>()) {
    state_->config = std::move(config);
}
Environment::~Environment() = default;

void Environment::add_source(std::string name, std::string source) {
    std::lock_guard lock(state_->mu);
    state_->sources.insert_or_assign(std::move(name), std::move(source));
    state_->cache.clear();  // a unit may include the replaced source
}

Result<Template, TemplateError> Environment::get(std::string_view name) {
    std::lock_guard lock(state_->mu);
    if (auto it = state_->cache.find(name); it != state_->cache.end()) {
        if (!state_->config.auto_reload) return Template(it->second);
        // Development: a page and its layouts are looked at again at most every 10 ms, not on
        // every request (two stat() calls each under this mutex, a tenth of a page's cost);
        // an edit still shows on the next reload.
        const auto now = std::chrono::steady_clock::now();
        if (now - it->second->checked_at < kRecheckAfter) return Template(it->second);
        if (!stale(*it->second)) {
            it->second->checked_at = now;
            return Template(it->second);
        }
    }
    auto unit = std::make_shared<detail::Compiled>();
    Compiler c(*state_, *unit);
    if (auto r = c.compile(name, nullptr); !r) return r.error();
    unit->checked_at = std::chrono::steady_clock::now();
    state_->cache.insert_or_assign(std::string(name), unit);
    return Template(unit);
}

Result<std::string, TemplateError> Environment::render(std::string_view name, const Map& context,
                                                       const RenderOptions& options) {
    auto t = get(name);
    if (!t) return t.error();
    return t->render(context, options);
}

Result<Template, TemplateError> Environment::from_string(std::string_view source, std::string_view name) {
    std::lock_guard lock(state_->mu);
    auto unit = std::make_shared<detail::Compiled>();
    Compiler c(*state_, *unit);
    std::string src(source);
    if (auto r = c.compile(name, &src); !r) return r.error();
    return Template(unit);
}

}  // namespace bulwark::tmpl
