// The fast paths of verification: the ObjectReader's one-pass reader for flat objects (it must
// give exactly the DOM reader's verdict, error and members, whether it reads a document itself
// or gives up on it) and the per-thread cache of the last header (a cache hit must decide
// nothing a full read would decide differently).
#include "../../src/jwt/compact.hpp"

#include <bulwark/jwt.hpp>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace bulwark::jwt {
namespace {

namespace json = boost::json;

constexpr std::pair<std::string_view, Name> kKept[] = {
    {"alg", Name::alg}, {"typ", Name::typ}, {"kid", Name::kid},     {"crit", Name::crit},
    {"exp", Name::exp}, {"nbf", Name::nbf}, {"iat", Name::iat},     {"iss", Name::iss},
    {"sub", Name::sub}, {"aud", Name::aud}, {"jti", Name::jti},     {"type", Name::type},
    {"fresh", Name::fresh}, {"fam", Name::fam}, {"csrf", Name::csrf},
};

void expect_same_member(const json::value* v, const Member& m) {
    if (!v) {
        EXPECT_EQ(m.kind, Kind::absent);
        return;
    }
    switch (v->kind()) {
        case json::kind::string:
            EXPECT_EQ(m.kind, Kind::string);
            EXPECT_EQ(m.text, std::string_view(v->get_string()));
            return;
        case json::kind::int64:
            EXPECT_EQ(m.kind, Kind::int64);
            EXPECT_EQ(m.i, v->get_int64());
            return;
        case json::kind::uint64:
            EXPECT_EQ(m.kind, Kind::uint64);
            EXPECT_EQ(m.u, v->get_uint64());
            return;
        case json::kind::double_:
            EXPECT_EQ(m.kind, Kind::number);
            return;
        case json::kind::bool_:
            EXPECT_EQ(m.kind, Kind::boolean);
            EXPECT_EQ(m.b, v->get_bool());
            return;
        case json::kind::null:
            EXPECT_EQ(m.kind, Kind::null);
            return;
        case json::kind::object:
            EXPECT_EQ(m.kind, Kind::object);
            return;
        case json::kind::array:
            EXPECT_EQ(m.kind, Kind::array);
            return;
    }
}

TEST(NameOf, KeptNamesAndNothingElse) {
    for (const auto& [text, name] : kKept) {
        SCOPED_TRACE(std::string(text));
        EXPECT_EQ(name_of(text), name);
    }
    // Near misses: one byte changed at each place, a byte added or dropped, other sizes, and
    // names whose bytes are zero (a pack of 0 must not find an empty slot).
    std::vector<std::string> misses = {"", "a", "ab", "abcdef", "expiry", "\0\0\0", std::string(4, '\0'),
                                       "ALG", "Exp", "typ ", " typ", "fres", "freshh", "csr", "csrff"};
    for (const auto& [text, name] : kKept) {
        for (std::size_t i = 0; i < text.size(); ++i) {
            for (char c : {'a', 'z', 'A', '0', '_', '\x7f', '\0'}) {
                std::string other(text);
                if (other[i] == c) continue;
                other[i] = c;
                misses.push_back(other);
            }
        }
        misses.push_back(std::string(text) + "s");
        misses.push_back(std::string(text.substr(1)));
    }
    for (const std::string& miss : misses) {
        bool kept = false;
        for (const auto& [text, name] : kKept) kept |= miss == text;
        if (kept) continue;  // a changed byte can land on another kept name ("iat" -> "iss")
        SCOPED_TRACE(miss);
        EXPECT_FALSE(name_of(miss).has_value());
    }
}

TEST(FlatReader, SameVerdictAndMembersAsTheDomReader) {
    const struct {
        const char* name;
        std::string json;
    } cases[] = {
        // Read by the fast path.
        {"token_claims", R"({"sub":"alice","iss":"bulwark","aud":"api","iat":1700000000,)"
                         R"("nbf":1700000000,"exp":1700000900,"jti":"0123456789abcdefghijkl",)"
                         R"("type":"access","fresh":true,"csrf":"abcdefghijklmnopqrstuv"})"},
        {"header", R"({"alg":"HS256","typ":"JWT","kid":"k1"})"},
        {"empty_object", "{}"},
        {"literals", R"({"fresh":false,"alg":null,"x":true,"y":false,"z":null})"},
        {"zero", R"({"exp":0})"},
        {"negative", R"({"nbf":-5,"exp":-123456789012345678})"},
        {"eighteen_digits", R"({"exp":999999999999999999})"},
        {"empty_key_and_value", R"({"":""})"},
        {"strings_of_eight_and_sixteen", R"({"sub":"abcdefgh","iss":"abcdefghijklmnop","jti":"abcdefghi"})"},
        {"printable_ascii", R"({"sub":" !#$%&'()*+,-./:;<=>?@[]^_`{|}~"})"},
        {"long_names_differ_after_eight", R"({"abcdefgh1":1,"abcdefgh2":2,"abcdefgh":3})"},
        {"names_differ_in_size_only", R"({"a":1,"aa":2,"aaa":3,"":4})"},
        {"string_ends_at_each_place", R"({"a":"","b":"1","c":"1234567","d":"12345678","e":"123456789"})"},
        {"kept_names_as_custom_prefixes", R"({"expx":1,"ex":2,"subs":"a","fresh1":true})"},
        {"eight_digits", R"({"exp":12345678})"},
        {"seven_digits_then_more", R"({"exp":1234567,"nbf":7654321})"},
        {"nine_to_seventeen_digits", R"({"exp":123456789,"nbf":1234567890123456,"iat":12345678901234567})"},
        {"negative_eight_and_sixteen", R"({"nbf":-87654321,"exp":-8765432187654321})"},
        {"digits_next_to_every_digit_edge", R"({"a":90000000,"b":19999999,"c":10000009,"d":0})"},
        // Given up by the fast path, decided by the general parser.
        {"empty_object_spaced", " \t\r\n{ \t\r\n} \t\r\n"},
        {"all_whitespace_kinds", "{ \"sub\"\t:\r\"a\" ,\n\"exp\" : 1 }"},
        {"space_after_colon_only", R"({"sub": "alice","exp": 1700000900})"},
        {"eighteen_digits_then_fraction", R"({"exp":123456789012345678.5})"},
        {"eight_digits_then_exponent", R"({"exp":12345678e1})"},
        {"leading_zero_then_eight_digits", R"({"exp":012345678})"},
        {"nineteen_digits", R"({"exp":1000000000000000000})"},
        {"int64_max", R"({"exp":9223372036854775807})"},
        {"int64_min", R"({"exp":-9223372036854775808})"},
        {"beyond_int64", R"({"exp":18446744073709551615})"},
        {"beyond_uint64", R"({"exp":18446744073709551616})"},
        {"minus_zero", R"({"exp":-0})"},
        {"fraction", R"({"exp":1.5})"},
        {"exponent", R"({"exp":1e3})"},
        {"exponent_upper", R"({"exp":1E3})"},
        {"escape", R"({"sub":"a\"b"})"},
        {"escaped_name", R"({"s\u0075b":"a"})"},
        {"kept_name_and_nul", R"({"exp":1,"exp\u0000":2,"typ\u0000":"x"})"},
        {"utf8", "{\"sub\":\"\xc3\xa9\"}"},
        {"nested", R"({"aud":["api"],"role":{"a":1}})"},
        // Refused: the general parser names the error.
        {"duplicate", R"({"sub":"a","sub":"b"})"},
        {"duplicate_long_names", R"({"abcdefghij":1,"abcdefghij":2})"},
        {"duplicate_spaced", R"({"exp":1, "exp" :2})"},
        {"duplicate_kept_around_custom", R"({"sub":"a","x":1,"sub":"b"})"},
        {"duplicate_custom_around_kept", R"({"x":1,"sub":"a","x":2})"},
        {"duplicate_empty_name", R"({"":1,"":2})"},
        {"duplicate_long_custom_after_others", R"({"role_of_user":1,"sub":"a","role":2,"role_of_user":3})"},
        {"leading_zero", R"({"exp":01})"},
        {"lone_minus", R"({"exp":-})"},
        {"plus", R"({"exp":+1})"},
        {"trailing_dot", R"({"exp":1.})"},
        {"bad_literal", R"({"fresh":tru})"},
        {"literal_run_on", R"({"fresh":truex})"},
        {"capital_literal", R"({"fresh":True})"},
        {"number_run_on", R"({"exp":12x})"},
        {"trailing_comma", R"({"exp":1,})"},
        {"missing_comma", R"({"exp":1 "nbf":2})"},
        {"missing_colon", R"({"exp" 1})"},
        {"unquoted_name", R"({exp:1})"},
        {"unterminated_string", R"({"sub":"abc)"},
        {"unterminated_object", R"({"sub":"abc")"},
        {"trailing_garbage", R"({"exp":1}x)"},
        {"two_objects", "{}{}"},
        {"control_in_string", "{\"sub\":\"a\x01\"}"},
        {"tab_in_string", "{\"sub\":\"a\tb\"}"},
        {"del_in_string", "{\"sub\":\"a\x7f\"}"},
        {"invalid_utf8", "{\"sub\":\"\xff\"}"},
        {"nul", std::string("{\"sub\":\"a\0\"}", 11)},
        {"vertical_tab_space", "{\v}"},
        {"root_array", "[]"},
        {"empty", ""},
        {"only_space", "  "},
        {"key_too_long", "{\"" + std::string(257, 'k') + "\":1}"},
    };
    auto reader = std::make_unique<ObjectReader>();
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto fast = reader->read(c.json);
        auto dom = parse_json_object(c.json);
        ASSERT_EQ(static_cast<bool>(fast), static_cast<bool>(dom));
        if (!dom) {
            EXPECT_EQ(error_name(fast.error()), error_name(dom.error()));
            continue;
        }
        EXPECT_EQ(reader->top_level_count(), dom->size());
        for (const auto& [text, name] : kKept) expect_same_member(dom->if_contains(text), (*reader)[name]);
    }
}

void expect_same_as_dom(ObjectReader& reader, const std::string& json) {
    auto fast = reader.read(json);
    auto dom = parse_json_object(json);
    ASSERT_EQ(static_cast<bool>(fast), static_cast<bool>(dom));
    if (!dom) {
        EXPECT_EQ(error_name(fast.error()), error_name(dom.error()));
        return;
    }
    EXPECT_EQ(reader.top_level_count(), dom->size());
    for (const auto& [text, name] : kKept) expect_same_member(dom->if_contains(text), reader[name]);
}

// The string scan takes 16 bytes, then 8, then one at a time: an odd byte (or a harmless edge
// byte) at every place of strings of every length up to 40, as a name and as a value.
TEST(FlatReader, EveryOddByteAtEveryPlaceOfAString) {
    auto reader = std::make_unique<ObjectReader>();
    const char odd[] = {'\x00', '\x01', '\x1f', ' ', '"', '\\', '~', '\x7f', '\x80', '\xc3', '\xff'};
    for (std::size_t size = 0; size <= 40; ++size) {
        for (std::size_t at = 0; at < size; ++at) {
            for (char c : odd) {
                std::string text(size, 'x');
                text[at] = c;
                SCOPED_TRACE(testing::Message() << "size " << size << " byte " << int(static_cast<unsigned char>(c))
                                                << " at " << at);
                expect_same_as_dom(*reader, "{\"sub\":\"" + text + "\",\"exp\":1}");
                expect_same_as_dom(*reader, "{\"" + text + "\":\"v\",\"jti\":\"" + text + "\"}");
            }
        }
    }
}

// A kept name is read with its colon from one 8-byte load: near the end of the document (less
// than 8 bytes after the quote), without its colon next, or beside a name it is a prefix of,
// the general string path reads it, and the verdict is the DOM reader's either way.
TEST(FlatReader, KeptNameAtEveryDistanceFromTheEnd) {
    auto reader = std::make_unique<ObjectReader>();
    std::vector<std::string> docs;
    for (const auto& [text, name] : kKept) {
        const std::string n(text);
        for (const std::string value : {"1", "\"\"", "\"abc\"", "true", "null", "1234567890"}) {
            docs.push_back("{\"" + n + "\":" + value + "}");
            docs.push_back("{\"" + n + "\" :" + value + "}");
            docs.push_back("{\"" + n + "\"" + value + "}");
            docs.push_back("{\"" + n + "\":" + value);
            docs.push_back("{\"" + n + "\":" + value + ",\"" + n + "\":" + value + "}");
            docs.push_back("{\"" + n + "x\":" + value + ",\"" + n + "\":" + value + "}");
            docs.push_back("{\"" + n.substr(0, n.size() - 1) + "\":" + value + ",\"" + n + "\":" + value + "}");
        }
        docs.push_back("{\"" + n);
        docs.push_back("{\"" + n + "\"");
        docs.push_back("{\"" + n + "\":");
    }
    for (const std::string& doc : docs) {
        SCOPED_TRACE(doc);
        expect_same_as_dom(*reader, doc);
    }
}

// Strings::borrowed (Manager::verify's claims): the same verdict and members as a copying read,
// with the fast path's strings inside the caller's buffer and the general parser's in the reader.
TEST(FlatReader, BorrowedStringsReadAsCopiedOnes) {
    auto copying = std::make_unique<ObjectReader>();
    auto borrowing = std::make_unique<ObjectReader>();
    const std::string docs[] = {
        R"({"sub":"alice","iss":"bulwark","aud":"api","exp":1700000900,"jti":"0123456789abcdefghijkl"})",
        R"({"sub":"a\u0062c","exp":1})",           // an escape: the general parser's, copied
        R"({"aud":["x","api"],"sub":"s"})",          // nested: the general parser's
        R"({"sub":"a","sub":"b"})", "", "{", "[]",  // refused alike
    };
    for (const std::string& doc : docs) {
        SCOPED_TRACE(doc);
        const std::string buffer = doc;  // the caller's buffer
        auto a = copying->read(doc);
        auto b = borrowing->read(buffer, ObjectReader::Strings::borrowed);
        ASSERT_EQ(static_cast<bool>(a), static_cast<bool>(b));
        if (!a) {
            EXPECT_EQ(a.error(), b.error());
            continue;
        }
        EXPECT_EQ(copying->top_level_count(), borrowing->top_level_count());
        for (const auto& [text, name] : kKept) {
            const Member& x = (*copying)[name];
            const Member& y = (*borrowing)[name];
            EXPECT_EQ(x.kind, y.kind) << text;
            EXPECT_EQ(x.text, y.text) << text;
            EXPECT_EQ(x.i, y.i) << text;
            EXPECT_EQ(x.count, y.count) << text;
        }
    }
    ASSERT_TRUE(borrowing->read(docs[0], ObjectReader::Strings::borrowed));
    const std::string_view sub = (*borrowing)[Name::sub].text;
    EXPECT_TRUE(sub.data() >= docs[0].data() && sub.data() < docs[0].data() + docs[0].size())
        << "the fast path's strings point into the caller's buffer";
}

TEST(FlatReader, AReadAfterARefusalStartsClean) {
    auto reader = std::make_unique<ObjectReader>();
    ASSERT_TRUE(reader->read(R"({"sub":"a","exp":1,"fresh":true})"));
    EXPECT_FALSE(reader->read(R"({"iss":"x","exp":2,"exp":3})"));
    ASSERT_TRUE(reader->read(R"({"iss":"x"})"));
    EXPECT_EQ((*reader)[Name::sub].kind, Kind::absent);
    EXPECT_EQ((*reader)[Name::exp].kind, Kind::absent);
    EXPECT_EQ((*reader)[Name::fresh].kind, Kind::absent);
    EXPECT_EQ((*reader)[Name::iss].text, "x");
    EXPECT_EQ(reader->top_level_count(), 1u);
}

std::string b64(std::string_view s) { return crypto::base64url_encode(crypto::as_bytes(s)); }

// token: header and payload as given, signed with key's HMAC (what an attacker holding no key
// cannot do; these tests are about the header, not the signature).
std::string token(std::string_view header, std::string_view payload, const Key& key) {
    std::string input = b64(header) + "." + b64(payload);
    auto sig = key.sign_bytes(crypto::as_bytes(input));
    return input + "." + crypto::base64url_encode(*sig);
}

TEST(HeaderCache, AHitDecidesAsAFullReadWould) {
    const Key a = Key::hmac(Algorithm::hs256, crypto::SecretBytes(std::string(32, 'a')), "a");
    const Key b = Key::hmac(Algorithm::hs512, crypto::SecretBytes(std::string(64, 'b')), "b");
    const KeySet both({a, b});
    const KeySet only_b({b});
    const Key a_as_384 = Key::hmac(Algorithm::hs384, crypto::SecretBytes(std::string(48, 'a')), "a");
    const KeySet a_is_384({a_as_384});
    const std::string payload = R"({"exp":2000000000})";
    const std::string header_a = R"({"alg":"HS256","typ":"JWT","kid":"a"})";

    const struct {
        const char* name;
        std::string token;
        const KeySet* keys;
        std::optional<JwtError> error;
    } steps[] = {
        {"first_use_caches", token(header_a, payload, a), &both, std::nullopt},
        {"hit", token(header_a, payload, a), &both, std::nullopt},
        {"hit_other_key_set_no_such_kid", token(header_a, payload, a), &only_b, JwtError::unknown_key},
        {"hit_kid_now_names_another_algorithm", token(header_a, payload, a), &a_is_384,
         JwtError::algorithm_mismatch},
        {"hit_bad_signature", token(header_a, payload, b), &both, JwtError::bad_signature},
        {"one_byte_differs_alg_none", token(R"({"alg":"none","typ":"JWT","kid":"a"})", payload, a), &both,
         JwtError::algorithm_mismatch},
        {"one_byte_differs_kid", token(R"({"alg":"HS256","typ":"JWT","kid":"b"})", payload, a), &both,
         JwtError::algorithm_mismatch},
        {"crit_after_a_hit", token(R"({"alg":"HS256","typ":"JWT","kid":"a","crit":["x"]})", payload, a),
         &both, JwtError::unsupported_crit},
        {"duplicate_alg_after_a_hit", token(R"({"alg":"HS256","alg":"HS512","kid":"a"})", payload, a),
         &both, JwtError::duplicate_name},
        {"still_a_hit_afterwards", token(header_a, payload, a), &both, std::nullopt},
        {"other_header_replaces_it", token(R"({"alg":"HS512","kid":"b"})", payload, b), &both, std::nullopt},
        {"and_the_first_reads_again", token(header_a, payload, a), &both, std::nullopt},
    };
    auto scratch = std::make_unique<ObjectReader>();
    auto decoded = std::make_unique<DecodedToken>();
    for (const auto& s : steps) {
        SCOPED_TRACE(s.name);
        auto r = verify_token(s.token, *s.keys, *scratch, *decoded);
        ASSERT_EQ(static_cast<bool>(r), !s.error.has_value());
        if (s.error) {
            EXPECT_EQ(error_name(r.error()), error_name(*s.error));
            continue;
        }
        EXPECT_EQ(decoded->payload_json, payload);
        // What verify_compact hands out must not depend on whether the header was cached.
        auto jws = verify_compact(s.token, *s.keys);
        ASSERT_TRUE(jws);
        EXPECT_EQ(json::serialize(jws->header), json::serialize(*parse_json_object(
                                                     std::string_view(decoded->header_json))));
        EXPECT_EQ(jws->kid, decoded->kid);
    }
}

}  // namespace
}  // namespace bulwark::jwt
