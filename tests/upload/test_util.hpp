// Helpers for the upload tests: run a decoder over a body split in given ways, summarise events.
#pragma once

#include <bulwark/upload.hpp>

#include <memory>
#include <string>
#include <vector>

namespace bulwark::upload::testing {

// Summary: one line per part, "name|filename-or-!|content-type|data", or "error:<name>".
struct Summary {
    std::vector<std::string> parts;
    std::string error;  // empty when done
    bool operator==(const Summary&) const = default;
};

inline Summary drain(MultipartDecoder& d, Summary& s, std::string& current, bool& failed) {
    for (;;) {
        Event e = d.next();
        switch (e.kind) {
            case Event::Kind::need_more: return s;
            case Event::Kind::done: return s;
            case Event::Kind::error: s.error = std::string(error_name(e.error)); failed = true; return s;
            case Event::Kind::part_begin:
                current = e.part->name + "|" + (e.part->filename ? *e.part->filename : "!") + "|" + e.part->content_type + "|";
                break;
            case Event::Kind::data: current.append(e.data); break;
            case Event::Kind::part_end: s.parts.push_back(current); current.clear(); break;
        }
    }
}

// decode_split feeds `body` cut at the given offsets (ascending) and then finishes. Borrowed:
// through feed_borrowed, each piece in a buffer of its own that is overwritten and freed once
// drained (so a decoder still reading it gives wrong events, or an ASan report).
inline Summary decode_split(std::string_view boundary, std::string_view body, const std::vector<std::size_t>& cuts,
                            MultipartLimits limits = {}, bool borrowed = false) {
    MultipartDecoder d(boundary, limits);
    Summary s;
    std::string current;
    bool failed = false;
    std::size_t prev = 0;
    std::vector<std::size_t> all = cuts;
    all.push_back(body.size());
    for (std::size_t cut : all) {
        auto piece = std::make_unique<std::string>(body.substr(prev, cut - prev));
        auto r = borrowed ? d.feed_borrowed(*piece) : d.feed(*piece);
        if (!r) {
            s.error = std::string(error_name(r.error()));
            return s;
        }
        prev = cut;
        drain(d, s, current, failed);
        if (failed) return s;
        piece->assign(piece->size(), '#');
    }
    d.finish();
    drain(d, s, current, failed);
    return s;
}

inline Summary decode_whole(std::string_view boundary, std::string_view body, MultipartLimits limits = {}) {
    return decode_split(boundary, body, {}, limits);
}

inline Summary decode_split_borrowed(std::string_view boundary, std::string_view body,
                                     const std::vector<std::size_t>& cuts, MultipartLimits limits = {}) {
    return decode_split(boundary, body, cuts, limits, true);
}

}  // namespace bulwark::upload::testing
