// The HTML routes: home, register, login/logout, comments, profile, the static stylesheet.
// Every POST here is CSRF-checked by the pipeline before the handler runs.
#include "app_state.hpp"

#include <bulwark/form.hpp>

#include <chrono>
#include <fstream>

namespace reference::detail {
namespace {

namespace bp = bulwark::pipeline;
using bulwark::Request;
using bulwark::Response;

std::int64_t now_unix() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::optional<bulwark::form::MultiDict> form_of(const Request& req) {
    auto fields = bulwark::form::parse_urlencoded(req.body());
    if (!fields) return std::nullopt;
    return std::move(*fields);
}

std::string field(const bulwark::form::MultiDict& f, std::string_view name) {
    return std::string(f.get(name).value_or(""));
}

bool valid_username(std::string_view u) {
    if (u.size() < 3 || u.size() > 20) return false;
    for (char c : u)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

// code_points counts UTF-8 characters (the input is already known to be valid UTF-8).
std::size_t code_points(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

// local_path keeps `next` to a path on this site: no scheme, no //host, no backslash tricks.
std::string local_path(std::string_view next) {
    if (next.empty() || next[0] != '/' || next.size() > 2048) return "/";
    if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return "/";
    for (unsigned char c : next)
        if (c < 0x21 || c == 0x7F || c == '\\') return "/";
    return std::string(next);
}

std::string url_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '_' || c == '.' || c == '~' || c == '/') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

// login_required: an anonymous visitor goes to the login form and comes back afterwards.
Response login_required(const Request& req) { return Response::redirect("/login?next=" + url_encode(req.path())); }

Response validation_failed(const bulwark::form::Errors& errors) {
    return Response::json(errors.to_json(), 400);
}

Response static_file(State& state, Request& req) {
    const std::string name(req.param("file"));
    // Only plain names of files that exist in static/: no dot files, no separators.
    if (name.empty() || name.size() > 64 || name[0] == '.') throw bulwark::HttpError(404, "Not Found");
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            throw bulwark::HttpError(404, "Not Found");
    const auto path = state.static_dir / name;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw bulwark::HttpError(404, "Not Found");
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const bool css = name.size() > 4 && name.substr(name.size() - 4) == ".css";
    Response r(200, std::move(body), css ? "text/css; charset=utf-8" : "application/octet-stream");
    r.headers().set("Cache-Control", "public, max-age=3600");
    return r;
}

Response register_user(State& state, Request& req) {
    auto f = form_of(req);
    if (!f) return Response::json(R"({"errors": {"form": ["Malformed form."]}})", 400);
    const auto username = field(*f, "username");
    const auto email = field(*f, "email");
    const auto password = field(*f, "password");
    const auto age_text = field(*f, "age");
    bulwark::form::Errors errors;
    if (!valid_username(username))
        errors.add("username", "Username must be 3 to 20 letters, digits or underscores.");
    if (!bulwark::form::is_valid_email(email)) errors.add("email", "Invalid email address.");
    std::optional<std::int64_t> age;
    if (!age_text.empty()) {
        std::int64_t value = -1;
        if (age_text.size() <= 3 && age_text.find_first_not_of("0123456789") == std::string::npos)
            value = std::stoll(age_text);
        if (value < 0 || value > 150) errors.add("age", "Age must be a whole number from 0 to 150.");
        else age = value;
    }
    for (auto& message : bulwark::password::check_policy(password, {.username = username, .email = email}))
        errors.add("password", std::move(message));
    if (!errors.empty()) return validation_failed(errors);

    auto hash = state.hashes->hash(password);
    if (!hash) {
        if (hash.error() == bulwark::password::Error::busy) return busy();
        throw std::runtime_error("password hash failed");
    }
    auto id = state.db.insert_returning_id(
        "INSERT INTO users (username, email, age, password_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
        username, email, age, *hash, now_unix());
    if (!id) {
        if (id.error() == bulwark::db::ErrorCode::unique_violation)
            return Response::json(R"({"errors": {"username": ["Username already taken."]}})", 409);
        throw std::runtime_error("insert user: " + id.error().diagnostic_for_log());
    }
    start_email_verification(state, req, username, email);  // EMAIL_VERIFICATION=off: nothing
    return Response::redirect("/login");
}

Response login(State& state, Request& req) {
    auto f = form_of(req);
    const auto username = f ? field(*f, "username") : std::string();
    const auto password = f ? field(*f, "password") : std::string();
    const auto next = local_path(f ? field(*f, "next") : std::string());
    const auto check = check_login(state, req, username, password);
    if (check.outcome == LoginOutcome::busy) {
        auto r = busy();
        set_retry_after(r, check.retry_after);
        return r;
    }
    if (check.outcome == LoginOutcome::throttled) {
        // The same page for a locked account, known or not, and for a busy address.
        auto r = render(state, req, "login.html",
                        {{"error", "Too many login attempts. Try again later."}, {"next", next}}, 429);
        set_retry_after(r, check.retry_after);
        return r;
    }
    if (check.outcome == LoginOutcome::bad_credentials)
        return render(state, req, "login.html", {{"error", "Invalid credentials"}, {"next", next}}, 401);
    if (login_needs_verification(state, req, username))  // EMAIL_VERIFICATION=required, not yet verified
        return render(state, req, "account_notice.html",
                      {{"title", "Confirm your email address first"},
                       {"message", "This account's email address is not confirmed yet. We have sent a new "
                                   "link to it; follow it, then log in."}},
                      403);
    auto& session = bp::session(req);
    // A new id (the pre-login one can no longer be fixed on us), bound to the user, and the
    // login time that makes it "fresh" for /account/password (auth::is_fresh).
    bulwark::auth::login_user(session, username);
    req.set_identity(username);
    if (state.services.audit)
        state.services.audit->log(bulwark::audit::Event::authn_login_success,
                                  {req.request_id(), req.client_address(), username});
    return Response::redirect(next);
}

// db_overloaded: the database is there but too busy to answer in time (SQLite's write lock or
// the pool taken past their timeouts): a 503 with Retry-After, not a 500, tells the client
// to come back (the comment was not stored).
bool db_overloaded(const bulwark::db::DbError& e) {
    return e.code() == bulwark::db::ErrorCode::busy || e.code() == bulwark::db::ErrorCode::timeout;
}

Response comments_page(State& state, Request& req) {
    auto rows = state.db.query(
        "SELECT c.body AS body, u.username AS author FROM comments c JOIN users u ON u.id = c.user_id "
        "ORDER BY c.id DESC LIMIT 100");
    if (!rows) {
        if (db_overloaded(rows.error())) return busy();
        throw std::runtime_error("comments: " + rows.error().diagnostic_for_log());
    }
    bulwark::tmpl::List items;
    for (const auto& row : *rows)
        items.push_back(bulwark::tmpl::Map{{"author", row.get<std::string>("author")},
                                           {"body", row.get<std::string>("body")}});
    return render(state, req, "comments.html", {{"comments", items}});
}

Response post_comment(State& state, Request& req) {
    if (req.identity().empty()) return login_required(req);
    auto f = form_of(req);
    const auto text = f ? field(*f, "comment") : std::string();
    const auto n = code_points(text);
    if (n < 1 || n > 2000) {
        bulwark::form::Errors errors;
        errors.add("comment", "A comment is 1 to 2000 characters.");
        return validation_failed(errors);
    }
    auto r = state.db.execute(
        "INSERT INTO comments (user_id, body, created_at) SELECT id, ?, ? FROM users WHERE username = ?",
        text, now_unix(), req.identity());
    if (!r) {
        if (db_overloaded(r.error())) return busy();
        throw std::runtime_error("insert comment: " + r.error().diagnostic_for_log());
    }
    return Response::redirect("/comments");
}

Response update_profile(State& state, Request& req) {
    if (req.identity().empty()) return login_required(req);
    auto f = form_of(req);
    const auto email = f ? field(*f, "email") : std::string();
    if (!bulwark::form::is_valid_email(email)) {
        bulwark::form::Errors errors;
        errors.add("email", "Invalid email address.");
        return validation_failed(errors);
    }
    // The new address takes effect once the link mailed to it is followed; the old one is told.
    request_email_change(state, req, req.identity(), email);
    return Response::redirect("/");
}

}  // namespace

void add_pages(bulwark::App& app, const std::shared_ptr<State>& state) {
    auto s = state;
    app.get("/static/<file>", [s](Request& req) { return static_file(*s, req); }).name("static");
    app.get("/", [s](Request& req) {
        return render(*s, req, "index.html", {{"mode", s->production ? "production" : "development"}});
    }).name("index");
    app.get("/register", [s](Request& req) { return render(*s, req, "register.html", {}); }).name("register-form");
    app.post("/register", [s](Request& req) { return register_user(*s, req); }).name("register");
    app.get("/login", [s](Request& req) {
        return render(*s, req, "login.html", {{"next", local_path(req.query("next").value_or("/"))}});
    }).name("login-form");
    app.post("/login", [s](Request& req) { return login(*s, req); })
        .name("login")
        .rate_limit(s->login_rate_limit);
    app.post("/logout", [](Request& req) {
        if (req.identity().empty()) return login_required(req);
        bp::session(req).destroy();
        bp::mark_logout(req);
        return Response::redirect("/");
    }).name("logout");
    app.get("/comments", [s](Request& req) { return comments_page(*s, req); }).name("comments");
    app.post("/comment", [s](Request& req) { return post_comment(*s, req); }).name("comment");
    app.post("/update-profile", [s](Request& req) { return update_profile(*s, req); }).name("update-profile");
}

}  // namespace reference::detail
