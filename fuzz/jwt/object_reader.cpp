// fuzz_jwt_object_reader: the DOM-free ObjectReader against parse_json_object (the Boost.JSON
// DOM) on the same bytes. They must agree on accept/refuse and the error, on every kept member,
// on the member count, and on the registered-claim verdict. Any disagreement aborts.
#include "../../src/jwt/registered_claims.hpp"

#include <bulwark/jwt.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace {

using namespace bulwark::jwt;
namespace json = boost::json;

constexpr std::pair<std::string_view, Name> kNames[] = {
    {"alg", Name::alg}, {"typ", Name::typ}, {"kid", Name::kid},     {"crit", Name::crit},
    {"exp", Name::exp}, {"nbf", Name::nbf}, {"iat", Name::iat},     {"iss", Name::iss},
    {"sub", Name::sub}, {"aud", Name::aud}, {"jti", Name::jti},     {"type", Name::type},
    {"fresh", Name::fresh}, {"fam", Name::fam}, {"csrf", Name::csrf},
};

void require(bool ok) {
    if (!ok) std::abort();
}

void same_member(const json::value* v, const Member& m, const ObjectReader& r) {
    if (!v) return require(m.kind == Kind::absent);
    switch (v->kind()) {
        case json::kind::string: return require(m.kind == Kind::string && m.text == v->get_string());
        case json::kind::int64: return require(m.kind == Kind::int64 && m.i == v->get_int64());
        case json::kind::uint64: return require(m.kind == Kind::uint64 && m.u == v->get_uint64());
        case json::kind::double_: return require(m.kind == Kind::number);
        case json::kind::bool_: return require(m.kind == Kind::boolean && m.b == v->get_bool());
        case json::kind::null: return require(m.kind == Kind::null);
        case json::kind::object: return require(m.kind == Kind::object);
        case json::kind::array: break;
    }
    require(m.kind == Kind::array);
    if (&m != &r[Name::aud]) return;
    bool all_strings = true;
    for (const json::value& e : v->get_array()) all_strings = all_strings && e.is_string();
    require(m.all_strings == all_strings);
    if (!all_strings) return;
    require(m.count == v->get_array().size());
    for (std::size_t i = 0; i < m.count; ++i)
        require(r.array_element(m.first + i) == v->get_array()[i].get_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    static ObjectReader reader;  // 20 KiB: off the fuzzer's stack
    auto fast = reader.read(input);
    auto dom = parse_json_object(input);
    require(static_cast<bool>(fast) == static_cast<bool>(dom));
    if (!dom) return require(fast.error() == dom.error()), 0;
    require(reader.top_level_count() == dom->size());
    for (const auto& [text, name] : kNames) same_member(dom->if_contains(text), reader[name], reader);
    // Strings borrowed from the input (as Manager::verify reads claims): the same members.
    static ObjectReader borrowing;
    require(static_cast<bool>(borrowing.read(input, ObjectReader::Strings::borrowed)));
    require(borrowing.top_level_count() == dom->size());
    for (const auto& [text, name] : kNames) same_member(dom->if_contains(text), borrowing[name], borrowing);
    for (std::int64_t now : {0LL, 1'700'000'000LL}) {
        for (const char* aud : {"aud", "api"}) {
            Validation v{now, std::chrono::seconds(30), "iss", aud};
            auto a = validate_claims(*dom, v);
            auto b = check_registered(registered_claims(reader), v);
            require(static_cast<bool>(a) == static_cast<bool>(b) && (a || a.error() == b.error()));
        }
        Validation open{now, std::chrono::seconds(0), std::nullopt, std::nullopt};
        auto a = validate_claims(*dom, open);
        auto b = check_registered(registered_claims(reader), open);
        require(static_cast<bool>(a) == static_cast<bool>(b) && (a || a.error() == b.error()));
    }
    return 0;
}
