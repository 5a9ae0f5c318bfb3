// Fuzz the multipart decoder: the first byte picks a split size, the rest is the body under a
// fixed boundary; the same body fed whole and in pieces, copied (feed) or borrowed
// (feed_borrowed, each piece in a buffer freed once drained), must give the same events. Also runs
// boundary extraction and secure_filename on the part names.
#include <bulwark/upload.hpp>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

using namespace bulwark::upload;

namespace {

std::string run(std::string_view body, std::size_t step, bool borrowed) {
    MultipartDecoder d("b", {.max_body = 1 << 20, .max_parts = 16, .max_headers = 4, .max_header_bytes = 512});
    std::string log;
    auto drain = [&]() -> bool {
        for (;;) {
            Event e = d.next();
            switch (e.kind) {
                case Event::Kind::need_more: return true;
                case Event::Kind::done: log += "D"; return true;
                case Event::Kind::error: log += "E" + std::string(error_name(e.error)); return false;
                case Event::Kind::part_begin:
                    log += "B" + e.part->name + "|" + e.part->filename.value_or("!") + "|";
                    (void)secure_filename(e.part->filename.value_or(""));
                    break;
                case Event::Kind::data: log.append(e.data); break;
                case Event::Kind::part_end: log += "P"; break;
            }
        }
    };
    for (std::size_t i = 0; i < body.size(); i += step) {
        auto piece = std::make_unique<std::string>(body.substr(i, step));
        if (!(borrowed ? d.feed_borrowed(*piece) : d.feed(*piece))) return log + "Etoo_large";
        if (!drain()) return log;
    }
    d.finish();
    drain();
    // Once done, later drains say done again; strip repeats so step sizes compare equal.
    std::string out;
    for (std::size_t i = 0; i < log.size(); ++i)
        if (!(log[i] == 'D' && i + 1 < log.size() && log[i + 1] == 'D')) out += log[i];
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::size_t step = 1 + data[0] % 16;
    std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    (void)boundary_from_content_type(body.substr(0, 120));
    std::string whole = run(body, body.size() + 1, false);
    std::string pieces = run(body, step, false);
    if (whole != pieces) std::abort();  // chunking must never change the result
    if (run(body, step, true) != whole) std::abort();  // nor borrowing
    if (run(body, body.size() + 1, true) != whole) std::abort();
    return 0;
}
