// ObjectReader: parse_json_object's strictness without its DOM. The event handler keeps the
// names of every open object (to refuse a repeated name at any depth, as the DOM reader does)
// and the top-level members it was asked for; everything else is checked and dropped.
#include "object_reader.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <cstring>
#include <memory>

namespace bulwark::jwt {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxDepth = 16;  // as parse_json_object

}  // namespace

struct ObjectReader::State {
    ObjectReader& r;
    struct Frame {
        bool is_object;
        std::uint16_t first_key;  // keys_ index of this object's first name
        std::uint16_t arena_mark;
    };
    std::array<Frame, kMaxDepth + 2> frames{};
    std::size_t depth = 0;
    std::size_t key_count = 0;
    std::size_t arena_top = 0;
    std::size_t part_start = 0;      // where the string being read starts in the arena
    bool capturing = false;          // the string being read is kept
    std::optional<Name> current;     // the root member whose value comes next
    std::optional<Name> array_of;    // the kept root member that is the open array
    std::size_t elements = 0;
    bool duplicate = false;
    bool root_object = false;

    explicit State(ObjectReader& reader) : r(reader) {}

    // The handler reaches the reader's storage through these (State is the reader's friend).
    std::array<char, kArena>& arena() { return r.arena_; }
    std::array<KeyRef, kMaxKeys>& keys() { return r.keys_; }
    std::array<KeyRef, kMaxElements>& element_list() { return r.elements_; }
    std::array<Member, kNameCount>& members() { return r.members_.m; }
    std::size_t& top_level() { return r.top_level_; }

    bool append(std::string_view s) {
        if (s.size() > kArena - arena_top) return false;
        std::memcpy(r.arena_.data() + arena_top, s.data(), s.size());
        arena_top += s.size();
        return true;
    }
    // at_root_value: the next value is a direct member of the root object.
    bool at_root_value() const { return depth == 1 && frames[0].is_object; }
    // in_kept_array: the next value is a direct element of a kept root array.
    bool in_kept_array() const { return depth == 2 && array_of && !frames[1].is_object; }

    Member* value_slot() {
        if (at_root_value() && current) return &r.members_.m[static_cast<std::size_t>(*current)];
        return nullptr;
    }
    // scalar records a non-string value: kept at the root, or spoiling a kept array.
    Member* scalar(Kind kind) {
        if (in_kept_array()) r.members_.m[static_cast<std::size_t>(*array_of)].all_strings = false;
        Member* m = value_slot();
        if (m) m->kind = kind;
        return m;
    }
    bool open(bool is_object) {
        if (depth >= frames.size()) return false;
        if (depth == 0) root_object = is_object;
        if (in_kept_array()) r.members_.m[static_cast<std::size_t>(*array_of)].all_strings = false;
        if (Member* m = value_slot()) {
            m->kind = is_object ? Kind::object : Kind::array;
            // Only aud is read as an array (of audiences), so only its elements are kept.
            if (!is_object && *current == Name::aud) {
                m->first = static_cast<std::uint16_t>(elements);
                array_of = current;
            }
        }
        frames[depth++] = Frame{is_object, static_cast<std::uint16_t>(key_count),
                                static_cast<std::uint16_t>(arena_top)};
        return true;
    }
    void close() {
        const Frame f = frames[--depth];
        if (f.is_object && depth > 0) {  // its names are no longer needed
            key_count = f.first_key;
            arena_top = f.arena_mark;
        }
        if (depth == 1 && !f.is_object && array_of) array_of.reset();
    }
};

namespace {

class Handler {
public:
    static constexpr std::size_t max_object_size = 256;  // as parse_json_object
    static constexpr std::size_t max_array_size = 256;
    static constexpr std::size_t max_key_size = 256;
    static constexpr std::size_t max_string_size = kMaxTokenSize;

    explicit Handler(ObjectReader::State* s) : s_(*s) {}

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code& ec) { return ok(s_.open(true), ec); }
    bool on_object_end(std::size_t, json::error_code&) {
        s_.close();
        return true;
    }
    bool on_array_begin(json::error_code& ec) { return ok(s_.open(false), ec); }
    bool on_array_end(std::size_t, json::error_code&) {
        s_.close();
        return true;
    }

    bool on_key_part(json::string_view s, std::size_t, json::error_code& ec) {
        if (!key_open_) begin_part(true);
        key_open_ = true;
        return ok(s_.append(s), ec);
    }
    bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
        if (!key_open_) begin_part(true);
        key_open_ = false;
        if (!s_.append(s)) return ok(false, ec);
        const std::size_t start = s_.part_start;
        const std::size_t size = s_.arena_top - start;
        const char* arena = s_.arena().data();
        const auto& frame = s_.frames[s_.depth - 1];
        for (std::size_t i = frame.first_key; i < s_.key_count; ++i) {
            const auto& k = s_.keys()[i];
            if (k.size == size && (size == 0 || arena[k.offset] == arena[start]) && std::memcmp(arena + k.offset, arena + start, size) == 0) {
                s_.duplicate = true;
                return ok(false, ec);
            }
        }
        if (s_.key_count >= s_.keys().size()) return ok(false, ec);
        s_.keys()[s_.key_count++] = {static_cast<std::uint16_t>(start), static_cast<std::uint16_t>(size)};
        if (s_.depth == 1 && frame.is_object) {
            ++s_.top_level();
            s_.current = name_of(std::string_view(arena + start, size));
        }
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t, json::error_code& ec) {
        if (!string_open_) begin_part(s_.in_kept_array() || s_.value_slot() != nullptr);
        string_open_ = true;
        return ok(!s_.capturing || s_.append(s), ec);
    }
    bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
        if (!string_open_) begin_part(s_.in_kept_array() || s_.value_slot() != nullptr);
        string_open_ = false;
        if (!s_.capturing) return true;
        if (!s_.append(s)) return ok(false, ec);
        std::string_view text(s_.arena().data() + s_.part_start, s_.arena_top - s_.part_start);
        if (s_.in_kept_array()) {
            if (s_.elements >= s_.element_list().size()) return ok(false, ec);
            s_.element_list()[s_.elements++] = {static_cast<std::uint16_t>(s_.part_start),
                                                static_cast<std::uint16_t>(text.size())};
            ++s_.members()[static_cast<std::size_t>(*s_.array_of)].count;
        } else if (Member* m = s_.value_slot()) {
            m->kind = Kind::string;
            m->text = text;
        }
        return true;
    }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
        if (Member* m = s_.scalar(Kind::int64)) m->i = i;
        return true;
    }
    bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
        if (Member* m = s_.scalar(Kind::uint64)) m->u = u;
        return true;
    }
    bool on_double(double, json::string_view, json::error_code&) {
        s_.scalar(Kind::number);
        return true;
    }
    bool on_bool(bool b, json::error_code&) {
        if (Member* m = s_.scalar(Kind::boolean)) m->b = b;
        return true;
    }
    bool on_null(json::error_code&) {
        s_.scalar(Kind::null);
        return true;
    }
    bool on_comment_part(json::string_view, json::error_code& ec) { return ok(false, ec); }
    bool on_comment(json::string_view, json::error_code& ec) { return ok(false, ec); }

private:
    void begin_part(bool keep) {
        s_.part_start = s_.arena_top;
        s_.capturing = keep;
    }
    static bool ok(bool good, json::error_code& ec) {
        if (!good) ec = json::error::syntax;
        return good;
    }

    ObjectReader::State& s_;
    bool key_open_ = false;
    bool string_open_ = false;
};

}  // namespace

Result<void, JwtError> ObjectReader::read(std::string_view untrusted_json, Strings strings) noexcept {
    std::construct_at(&members_.m);  // every member absent (see Members)
    top_level_ = 0;
    if (untrusted_json.size() > kArena) return JwtError::too_large;
    if (read_flat(untrusted_json, strings)) return {};
    members_.m.fill(Member{});  // whatever the fast path kept before it gave up
    top_level_ = 0;
    State state(*this);
    json::parse_options options;
    options.max_depth = kMaxDepth;
    options.allow_comments = false;
    options.allow_trailing_commas = false;
    options.allow_invalid_utf8 = false;
    try {
        json::basic_parser<Handler> parser(options, &state);
        json::error_code ec;
        std::size_t used = parser.write_some(false, untrusted_json.data(), untrusted_json.size(), ec);
        if (state.duplicate) return JwtError::duplicate_name;
        if (ec || used != untrusted_json.size() || !parser.done()) return JwtError::malformed;
    } catch (const std::exception&) {
        return JwtError::malformed;
    }
    if (!state.root_object) return JwtError::malformed;
    return {};
}

}  // namespace bulwark::jwt
