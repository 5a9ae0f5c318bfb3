// MultipartDecoder: the RFC 2046 §5.1.1 delimiter state machine over a sliding window. Data is
// handed out as soon as it cannot be the start of a delimiter, so the buffer never holds more
// than one feed plus a delimiter's length (headers: max_header_bytes).
//
// The window is either the decoder's own buffer or, after feed_borrowed, the caller's bytes
// themselves: a streamed upload's file data then goes from the socket's piece to the file with
// no copy in between. Only what is left over when the window runs dry (less than a delimiter in
// a file part; a partial header block) is copied into the buffer, so nothing the caller owns is
// referenced once next() has said need_more.
#include "part_headers.hpp"

#include <cstring>
#include <functional>

namespace bulwark::upload {

std::string_view error_name(Error e) noexcept {
    switch (e) {
        case Error::bad_content_type: return "bad_content_type";
        case Error::malformed: return "malformed";
        case Error::no_final_boundary: return "no_final_boundary";
        case Error::header_too_large: return "header_too_large";
        case Error::too_many_headers: return "too_many_headers";
        case Error::bad_header: return "bad_header";
        case Error::missing_disposition: return "missing_disposition";
        case Error::too_many_parts: return "too_many_parts";
        case Error::field_too_large: return "field_too_large";
        case Error::too_large: return "too_large";
        case Error::io_error: return "io_error";
        case Error::type_not_allowed: return "type_not_allowed";
    }
    return "unknown";
}

int http_status(Error e) noexcept {
    switch (e) {
        case Error::too_many_parts:
        case Error::field_too_large:
        case Error::too_large: return 413;
        case Error::io_error: return 500;
        default: return 400;
    }
}

std::string_view error_message(Error e) noexcept {
    switch (e) {
        case Error::type_not_allowed: return "File type not allowed";
        case Error::too_large:
        case Error::too_many_parts:
        case Error::field_too_large: return "Request Entity Too Large";
        case Error::io_error: return "Internal Server Error";
        default: return "Bad Request";
    }
}

struct MultipartDecoder::Impl {
    static constexpr std::size_t kDenseCrHits = 16;
    static constexpr std::size_t kDenseCrGap = 32;
    enum class State { preamble, after_delimiter, headers, data, epilogue, error };
    using Searcher = std::boyer_moore_horspool_searcher<std::string::const_iterator>;

    Impl(std::string_view boundary, MultipartLimits l)
        : delimiter("\r\n--" + std::string(boundary)),
          searcher(delimiter.begin(), delimiter.end()),
          limits(l),
          // A virtual CRLF before the body lets the first delimiter be found like the others.
          buf("\r\n") {}

    std::string delimiter;
    Searcher searcher;
    MultipartLimits limits;
    std::string buf;
    // The caller's bytes when the window is borrowed (feed_borrowed); buf is then empty.
    std::string_view ext;
    bool borrowed = false;
    // A borrowed feed that came while buf still held bytes: buf got its first bytes (enough to
    // finish any delimiter begun in buf) and the window moves to `pending` past them once buf
    // runs dry. carry: how many bytes buf held before.
    std::string_view pending;
    std::size_t pending_used = 0;
    std::size_t carry = 0;
    std::size_t pos = 0;
    std::size_t fed = 0;
    bool eof = false;
    State state = State::preamble;
    Error error = Error::malformed;
    PartHeaders part;
    std::size_t header_bytes = 0;
    std::size_t header_lines = 0;
    // Bytes after pos already searched for CRLF, so a header fed byte by byte is scanned once.
    std::size_t header_scanned = 0;
    std::size_t parts = 0;
    bool in_part = false;

    Event fail(Error e) {
        state = State::error;
        error = e;
        return {Event::Kind::error, nullptr, {}, e};
    }
    Event need_more() {
        if (eof) return fail(Error::no_final_boundary);
        return {};
    }
    std::string_view window() const { return borrowed ? ext : std::string_view(buf); }
    // find_delimiter: the first whole delimiter at or after pos. Every delimiter begins with CR,
    // which most files hold rarely (text with LF lines: never), so memchr skims for it at memory
    // speed and only a CR is compared further; Horspool alone, whose skips stay short on text
    // sharing letters with the boundary, cost as much CPU as the recv and write of the data.
    // CRs close together (a hostile or CR-heavy file) would make that one call per byte: past
    // kDenseCrHits of them at under kDenseCrGap bytes apart on average, Horspool takes over,
    // whose skip over a CR is the delimiter's whole length.
    std::size_t find_delimiter() const {
        const std::string_view w = window();
        const std::size_t m = delimiter.size();
        const char* const start = w.data() + pos;
        const char* const end = w.data() + w.size();
        const char* p = start;
        std::size_t hits = 0;
        while (static_cast<std::size_t>(end - p) >= m) {
            const auto* cr = static_cast<const char*>(std::memchr(p, '\r', static_cast<std::size_t>(end - p) - (m - 1)));
            if (cr == nullptr) return std::string::npos;
            if (std::memcmp(cr + 1, delimiter.data() + 1, m - 1) == 0) return static_cast<std::size_t>(cr - w.data());
            p = cr + 1;
            if (++hits > kDenseCrHits && hits * kDenseCrGap > static_cast<std::size_t>(p - start)) {
                const char* found = searcher(p, end).first;
                return found == end ? std::string::npos : static_cast<std::size_t>(found - w.data());
            }
        }
        return std::string::npos;
    }
    // refill: the window ran dry. True when it now has more bytes (a pending borrowed feed taken
    // on); false when the decoder needs the next feed, with whatever is left unconsumed copied
    // into buf so that the caller's bytes are no longer referenced.
    bool refill() {
        if (!pending.empty()) {
            if (pos >= carry) {
                // Nothing unconsumed is older than the borrowed bytes: read them in place.
                ext = pending;
                pos -= carry;
                borrowed = true;
                buf.clear();
            } else {
                buf.append(pending.substr(pending_used));  // e.g. a header line begun earlier
            }
            pending = {};
            return true;
        }
        if (borrowed) {
            buf.assign(ext.substr(pos));
            ext = {};
            borrowed = false;
            pos = 0;
        }
        return false;
    }
    // admit: counts `n` more fed bytes against the body limit; an error once the decoder has failed.
    Result<void, Error> admit(std::size_t n) {
        if (state == State::error) return error;
        fed += n;
        if (fed > limits.max_body) {
            fail(Error::too_large);
            return Error::too_large;
        }
        return {};
    }
    // own: take back every byte not yet consumed into buf (a feed before the last one was drained).
    void own() {
        if (borrowed) {
            buf.assign(ext.substr(pos));
            pos = 0;
        } else if (!pending.empty()) {
            buf.append(pending.substr(pending_used));
        }
        ext = pending = {};
        borrowed = false;
    }

    Event step();
};

Event MultipartDecoder::Impl::step() {
    for (;;) {
        const std::string_view w = window();
        switch (state) {
            case State::error:
                return {Event::Kind::error, nullptr, {}, error};
            case State::epilogue:
                // RFC 2046: the epilogue is ignored.
                ext = pending = {};
                borrowed = false;
                buf.clear();
                pos = 0;
                return {Event::Kind::done, nullptr, {}, Error::malformed};
            case State::preamble: {
                std::size_t at = find_delimiter();
                if (at == std::string::npos) {
                    // Keep only what could still begin a delimiter.
                    if (w.size() - pos >= delimiter.size()) pos = w.size() - (delimiter.size() - 1);
                    if (refill()) continue;
                    return need_more();
                }
                pos = at + delimiter.size();
                state = State::after_delimiter;
                continue;
            }
            case State::after_delimiter: {
                if (w.size() - pos < 2) {
                    if (refill()) continue;
                    return need_more();
                }
                if (w.compare(pos, 2, "--") == 0) {
                    pos += 2;
                    state = State::epilogue;
                    continue;
                }
                // Transport padding (spaces, tabs) may follow a delimiter, then CRLF.
                std::size_t i = pos;
                while (i < w.size() && (w[i] == ' ' || w[i] == '\t') && i - pos < 64) ++i;
                if (i == w.size()) {
                    if (refill()) continue;
                    return need_more();
                }
                if (w[i] != '\r') return fail(Error::malformed);
                if (i + 1 == w.size()) {
                    if (refill()) continue;
                    return need_more();
                }
                if (w[i + 1] != '\n') return fail(Error::malformed);
                pos = i + 2;
                if (++parts > limits.max_parts) return fail(Error::too_many_parts);
                part = PartHeaders{};
                header_bytes = 0;
                header_lines = 0;
                header_scanned = 0;
                state = State::headers;
                continue;
            }
            case State::headers: {
                std::size_t eol = w.find("\r\n", pos + header_scanned);
                if (eol == std::string::npos) {
                    if (header_bytes + (w.size() - pos) > limits.max_header_bytes)
                        return fail(Error::header_too_large);
                    // Keep the last byte: it may be the CR of a CRLF split across feeds.
                    header_scanned = w.size() - pos > 0 ? w.size() - pos - 1 : 0;
                    if (refill()) continue;
                    return need_more();
                }
                header_scanned = 0;
                std::string_view line(w.data() + pos, eol - pos);
                header_bytes += line.size() + 2;
                if (header_bytes > limits.max_header_bytes) return fail(Error::header_too_large);
                pos = eol + 2;
                if (line.empty()) {
                    if (auto r = detail::finish_headers(part); !r) return fail(r.error());
                    state = State::data;
                    in_part = true;
                    return {Event::Kind::part_begin, &part, {}, Error::malformed};
                }
                if (++header_lines > limits.max_headers) return fail(Error::too_many_headers);
                if (line.find('\r') != std::string_view::npos || line.find('\n') != std::string_view::npos)
                    return fail(Error::bad_header);  // bare CR or LF inside a header line
                if (auto r = detail::add_header_line(line, part); !r) return fail(r.error());
                continue;
            }
            case State::data: {
                std::size_t at = find_delimiter();
                if (at == pos) {
                    pos += delimiter.size();
                    state = State::after_delimiter;
                    in_part = false;
                    return {Event::Kind::part_end, &part, {}, Error::malformed};
                }
                std::size_t end = at;
                if (end == std::string::npos) {
                    std::size_t keep = delimiter.size() - 1;
                    end = w.size() > pos + keep ? w.size() - keep : pos;
                }
                if (end == pos) {
                    if (refill()) continue;
                    return need_more();
                }
                Event e{Event::Kind::data, &part, std::string_view(w.data() + pos, end - pos), Error::malformed};
                pos = end;
                return e;
            }
        }
    }
}

MultipartDecoder::MultipartDecoder(std::string_view boundary, MultipartLimits limits)
    : impl_(std::make_unique<Impl>(boundary, limits)) {}
MultipartDecoder::~MultipartDecoder() = default;
MultipartDecoder::MultipartDecoder(MultipartDecoder&&) noexcept = default;
MultipartDecoder& MultipartDecoder::operator=(MultipartDecoder&&) noexcept = default;

Result<void, Error> MultipartDecoder::feed(std::string_view bytes) {
    Impl& d = *impl_;
    if (auto admitted = d.admit(bytes.size()); !admitted) return admitted;
    if (d.state == Impl::State::epilogue) return {};
    d.own();
    // Drop what was consumed; views handed out before this call end here.
    if (d.pos > 0) {
        d.buf.erase(0, d.pos);
        d.pos = 0;
    }
    d.buf.append(bytes);
    return {};
}

Result<void, Error> MultipartDecoder::feed_borrowed(std::string_view bytes) {
    Impl& d = *impl_;
    if (auto admitted = d.admit(bytes.size()); !admitted) return admitted;
    if (d.state == Impl::State::epilogue || bytes.empty()) return {};
    d.own();
    if (d.pos > 0) {
        d.buf.erase(0, d.pos);
        d.pos = 0;
    }
    if (d.buf.empty()) {
        d.ext = bytes;
        d.borrowed = true;
        return {};
    }
    // buf holds the tail of earlier bytes: give it enough of these to complete any delimiter it
    // begins (a delimiter's length), and borrow the rest once buf is consumed past its carry.
    d.carry = d.buf.size();
    d.pending_used = std::min(bytes.size(), d.delimiter.size());
    d.buf.append(bytes.substr(0, d.pending_used));
    if (d.pending_used < bytes.size()) d.pending = bytes;
    return {};
}

void MultipartDecoder::finish() { impl_->eof = true; }
Event MultipartDecoder::next() { return impl_->step(); }
std::size_t MultipartDecoder::bytes_fed() const noexcept { return impl_->fed; }

}  // namespace bulwark::upload
