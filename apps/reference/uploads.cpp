// POST /upload and GET /uploads/<id>: files are checked by extension AND content, stored under
// random names outside every served folder, and served back only to their owner, as attachments.
// The body streams (`.stream_body()`): pieces go from the socket through the multipart decoder
// straight into a temporary file, so no upload is ever held whole in memory, and passing
// MAX_CONTENT_LENGTH stops it at once (413, temporary file deleted). The pipeline checked the
// CSRF token before the handler runs: the form's csrf_token field comes before the file.
#include "app_state.hpp"

#include <bulwark/upload.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>

namespace reference::detail {
namespace {

namespace up = bulwark::upload;
using bulwark::Request;
using bulwark::Response;

Response upload_file(State& state, Request& req) {
    if (req.identity().empty()) return json_message("error", "Login required", 401);
    auto boundary = up::boundary_from_content_type(req.header("Content-Type").value_or(""));
    if (!boundary) return json_message("error", up::error_message(boundary.error()), up::http_status(boundary.error()));
    up::UploadConfig config;
    config.folder = state.upload_dir;
    config.multipart.max_body = state.max_content_length;
    up::UploadSink sink(*boundary, config);  // its temporary files go when it does, on every early return
    auto& body = req.body_stream();
    for (;;) {
        auto piece = body.next();
        if (!piece) {
            const int status = bulwark::body_error_status(piece.error());
            return json_message("error", bulwark::reason_phrase(status), status);
        }
        if (piece->empty()) break;
        if (auto fed = sink.feed(*piece); !fed)
            return json_message("error", up::error_message(fed.error()), up::http_status(fed.error()));
    }
    auto received = sink.finish();
    if (!received) return json_message("error", up::error_message(received.error()), up::http_status(received.error()));
    up::ReceivedFile* file = received->file("file");
    if (file == nullptr) return json_message("error", "No file part", 400);
    if (file->filename.empty()) return json_message("error", "No selected file", 400);
    auto checked = up::check_content(*file, up::reference_policy());
    if (!checked) return json_message("error", "File type not allowed", 400);
    auto stored = up::store(std::move(*file), *checked, req.identity(), state.upload_dir);
    if (!stored) return json_message("error", up::error_message(stored.error()), up::http_status(stored.error()));
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    auto row = state.db.execute(
        "INSERT INTO uploads (id, user_id, filename, stored_path, size, content_type, created_at) "
        "SELECT ?, id, ?, ?, ?, ?, ? FROM users WHERE username = ?",
        stored->id, stored->display_name, stored->id, static_cast<std::int64_t>(stored->size),
        stored->content_type, static_cast<std::int64_t>(now), req.identity());
    if (!row) throw std::runtime_error("insert upload: " + row.error().diagnostic_for_log());
    if (state.services.audit)
        state.services.audit->log(bulwark::audit::Event::upload_complete,
                                  {req.request_id(), req.client_address(), req.identity()},
                                  {{"size", static_cast<std::int64_t>(stored->size)}});
    boost::json::object out{{"id", stored->id},
                            {"filename", stored->display_name},
                            {"size", stored->size},
                            {"content_type", stored->content_type}};
    return Response::json(boost::json::serialize(out), 201);
}

Response download(State& state, Request& req) {
    if (req.identity().empty()) return Response::redirect("/login?next=/uploads");
    const std::string id(req.param("id"));
    // Someone else's file and an unknown id get the same 404.
    auto rows = state.db.query(
        "SELECT f.filename AS filename, f.size AS size, f.content_type AS content_type FROM uploads f "
        "JOIN users u ON u.id = f.user_id WHERE f.id = ? AND u.username = ?",
        id, req.identity());
    if (!rows) throw std::runtime_error("upload lookup: " + rows.error().diagnostic_for_log());
    const auto path = up::stored_path(state.upload_dir, id);
    if (rows->empty() || !path) throw bulwark::HttpError(404, "Not Found");
    up::StoredFile meta;
    meta.id = id;
    meta.owner = req.identity();
    meta.display_name = rows->front().get<std::string>("filename");
    meta.size = static_cast<std::uint64_t>(rows->front().get<std::int64_t>("size"));
    meta.content_type = rows->front().get<std::string>("content_type");
    Response r = Response::file(path->string(), meta.content_type);
    for (const auto& [name, value] : up::download_headers(meta)) r.headers().set(name, value);
    return r;
}

}  // namespace

void add_uploads(bulwark::App& app, const std::shared_ptr<State>& state) {
    auto s = state;
    app.post("/upload", [s](Request& req) { return upload_file(*s, req); })
        .body_limit(s->max_content_length)
        .stream_body()
        .name("upload");
    app.get("/uploads/<id>", [s](Request& req) { return download(*s, req); }).name("download");
}

}  // namespace reference::detail
