#include "test_util.hpp"

#include <bulwark/crypto.hpp>

#include <gtest/gtest.h>

namespace bulwark::upload {
namespace {

using testing::decode_split;
using testing::decode_split_borrowed;
using testing::decode_whole;
using testing::Summary;

const std::string kB = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

std::string body_two_parts() {
    return "preamble to ignore\r\n"
           "--" + kB + "\r\n"
           "Content-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
           "abc\r\n"
           "--" + kB + "\r\n"
           "Content-Disposition: form-data; name=\"file\"; filename=\"a b.png\"\r\n"
           "Content-Type: image/png\r\n\r\n"
           "\x89PNG\r\n--" + kB.substr(0, 10) + "not a boundary\r\n\r\n-\r\n--\r\n" +
           "\r\n--" + kB + "--\r\nepilogue to ignore";
}

const Summary kTwoParts{{"csrf_token|!||abc",
                         "file|a b.png|image/png|\x89PNG\r\n--" + kB.substr(0, 10) + "not a boundary\r\n\r\n-\r\n--\r\n"},
                        ""};

TEST(Multipart, WholeBody) { EXPECT_EQ(decode_whole(kB, body_two_parts()), kTwoParts); }

TEST(Multipart, OneByteAtATime) {
    std::string body = body_two_parts();
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < body.size(); ++i) cuts.push_back(i);
    EXPECT_EQ(decode_split(kB, body, cuts), kTwoParts);
}

TEST(Multipart, EverySingleSplitPosition) {
    std::string body = body_two_parts();
    for (std::size_t i = 0; i <= body.size(); ++i) EXPECT_EQ(decode_split(kB, body, {i}), kTwoParts) << "split at " << i;
}

TEST(Multipart, RandomSplitPoints) {
    std::string body = body_two_parts();
    for (int round = 0; round < 300; ++round) {
        std::vector<std::size_t> cuts;
        std::size_t at = 0;
        for (;;) {
            at += 1 + crypto::random_uniform(12);
            if (at >= body.size()) break;
            cuts.push_back(at);
        }
        EXPECT_EQ(decode_split(kB, body, cuts), kTwoParts) << "round " << round;
    }
}

TEST(Multipart, BoundaryAtBodyStartAndEmptyParts) {
    std::string body = "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n--b\r\n"
                       "Content-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\r\n\r\n--b--";
    EXPECT_EQ(decode_whole("b", body), (Summary{{"a|!||", "f|||"}, ""}));
}

TEST(Multipart, TransportPaddingAfterDelimiter) {
    std::string body = "--b \t\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b--";
    EXPECT_EQ(decode_whole("b", body), (Summary{{"a|!||x"}, ""}));
}

TEST(Multipart, FilenameStarWinsAndIsDecoded) {
    std::string body = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"fallback.txt\"; "
                       "filename*=UTF-8''r%C3%A9sum%C3%A9.txt\r\n\r\nx\r\n--b--\r\n";
    EXPECT_EQ(decode_whole("b", body), (Summary{{"f|r\xC3\xA9sum\xC3\xA9.txt||x"}, ""}));
}

TEST(Multipart, QuotedEscapesInNames) {
    std::string body = "--b\r\nContent-Disposition: form-data; name=\"a\\\"b\"; filename=\"C:\\\\x\\\\y.txt\"\r\n\r\nx\r\n--b--";
    EXPECT_EQ(decode_whole("b", body), (Summary{{"a\"b|C:\\x\\y.txt||x"}, ""}));
}

TEST(Multipart, NestedMultipartIsData) {
    std::string inner = "--inner\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\ny\r\n--inner--";
    std::string body = "--b\r\nContent-Disposition: form-data; name=\"n\"\r\nContent-Type: multipart/mixed; boundary=inner\r\n\r\n" +
                       inner + "\r\n--b--";
    EXPECT_EQ(decode_whole("b", body), (Summary{{"n|!|multipart/mixed; boundary=inner|" + inner}, ""}));
}

TEST(Multipart, NulBytesInDataAreData) {
    std::string body = std::string("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n\r\n") +
                       std::string("\0\0\r\0", 4) + "\r\n--b--";
    EXPECT_EQ(decode_whole("b", body), (Summary{{std::string("f|x.bin||") + std::string("\0\0\r\0", 4)}, ""}));
}

// The malformed corpus: each body must be refused with the named error, whole and byte by byte.
TEST(Multipart, MalformedCorpus) {
    const std::string cd = "Content-Disposition: form-data; name=\"a\"\r\n";
    const struct {
        const char* name;
        std::string body;
        std::string error;
    } cases[] = {
        {"no_final_boundary", "--b\r\n" + cd + "\r\nx\r\n--b\r\n" + cd + "\r\ny", "no_final_boundary"},
        {"no_final_boundary_after_delimiter", "--b\r\n" + cd + "\r\nx\r\n--b", "no_final_boundary"},
        {"no_boundary_at_all", "just some text", "no_final_boundary"},
        {"empty_body", "", "no_final_boundary"},
        {"headers_never_end", "--b\r\n" + cd, "no_final_boundary"},
        {"huge_header_line", "--b\r\nX-A: " + std::string(9000, 'a') + "\r\n" + cd + "\r\nx\r\n--b--", "header_too_large"},
        {"huge_header_no_eol", "--b\r\nX-A: " + std::string(9000, 'a'), "header_too_large"},
        {"too_many_headers", "--b\r\n" + cd + std::string("X: 1\r\nX: 2\r\nX: 3\r\nX: 4\r\nX: 5\r\nX: 6\r\nX: 7\r\nX: 8\r\n") + "\r\nx\r\n--b--", "too_many_headers"},
        {"missing_disposition", "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "missing_disposition"},
        {"disposition_not_form_data", "--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--", "missing_disposition"},
        {"disposition_without_name", "--b\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--b--", "missing_disposition"},
        {"duplicate_name_param", "--b\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\nx\r\n--b--", "bad_header"},
        {"duplicate_disposition", "--b\r\n" + cd + cd + "\r\nx\r\n--b--", "bad_header"},
        {"cr_in_header", "--b\r\nContent-Disposition: form-data; name=\"a\rb\"\r\n\r\nx\r\n--b--", "bad_header"},
        {"lf_in_header", "--b\r\nContent-Disposition: form-data; name=\"a\nb\"\r\n\r\nx\r\n--b--", "bad_header"},
        {"bare_lf_line_ends", "--b\r\nContent-Disposition: form-data; name=\"a\"\n\nx\r\n--b--", "bad_header"},
        {"nul_in_name", std::string("--b\r\nContent-Disposition: form-data; name=\"a\0b\"\r\n\r\nx\r\n--b--", 54), "bad_header"},
        {"nul_in_filename", std::string("--b\r\nContent-Disposition: form-data; name=\"a\"; filename=\"x\0.png\"\r\n\r\nx\r\n--b--", 72), "bad_header"},
        {"crlf_in_filename_star", "--b\r\nContent-Disposition: form-data; name=\"a\"; filename*=UTF-8''x%0D%0A.png\r\n\r\nx\r\n--b--", "bad_header"},
        {"nul_in_filename_star", "--b\r\nContent-Disposition: form-data; name=\"a\"; filename*=UTF-8''x%00.png\r\n\r\nx\r\n--b--", "bad_header"},
        {"filename_star_latin1", "--b\r\nContent-Disposition: form-data; name=\"a\"; filename*=ISO-8859-1''%E9.png\r\n\r\nx\r\n--b--", "bad_header"},
        {"filename_star_bad_escape", "--b\r\nContent-Disposition: form-data; name=\"a\"; filename*=UTF-8''%G1.png\r\n\r\nx\r\n--b--", "bad_header"},
        {"filename_star_invalid_utf8", "--b\r\nContent-Disposition: form-data; name=\"a\"; filename*=UTF-8''%C0%AF.png\r\n\r\nx\r\n--b--", "bad_header"},
        {"filename_invalid_utf8", "--b\r\nContent-Disposition: form-data; name=\"a\"; filename=\"\xFF.png\"\r\n\r\nx\r\n--b--", "bad_header"},
        {"unterminated_quote", "--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--", "bad_header"},
        {"obs_fold", "--b\r\n" + cd + " folded\r\n\r\nx\r\n--b--", "bad_header"},
        {"header_without_colon", "--b\r\n" + cd + "NoColon\r\n\r\nx\r\n--b--", "bad_header"},
        {"space_in_header_name", "--b\r\n" + cd + "Bad Name: x\r\n\r\nx\r\n--b--", "bad_header"},
        {"garbage_after_delimiter", "--b\r\n" + cd + "\r\nx\r\n--bogus\r\n", "malformed"},
        {"garbage_after_first_delimiter", "--bx\r\n" + cd + "\r\nx", "malformed"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(decode_whole("b", c.body).error, c.error) << c.name;
        std::vector<std::size_t> cuts;
        for (std::size_t i = 1; i < c.body.size(); ++i) cuts.push_back(i);
        EXPECT_EQ(decode_split("b", c.body, cuts).error, c.error) << c.name << " (byte by byte)";
        EXPECT_EQ(decode_split_borrowed("b", c.body, {}).error, c.error) << c.name << " (borrowed)";
        EXPECT_EQ(decode_split_borrowed("b", c.body, cuts).error, c.error) << c.name << " (borrowed, byte by byte)";
        for (std::size_t i = 0; i <= c.body.size(); ++i)
            EXPECT_EQ(decode_split_borrowed("b", c.body, {i}).error, c.error) << c.name << " (borrowed, split at " << i << ")";
    }
}

// feed_borrowed reads the caller's bytes in place; each piece is overwritten and freed after it
// was drained, so a decoder that kept a reference would give other events (or an ASan report).
TEST(MultipartBorrowed, SameEventsAsCopyingFeed) {
    const std::string body = body_two_parts();
    EXPECT_EQ(decode_split_borrowed(kB, body, {}), kTwoParts);
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < body.size(); ++i) every.push_back(i);
    EXPECT_EQ(decode_split_borrowed(kB, body, every), kTwoParts) << "byte by byte";
    for (std::size_t i = 0; i <= body.size(); ++i)
        EXPECT_EQ(decode_split_borrowed(kB, body, {i}), kTwoParts) << "split at " << i;
    for (std::size_t i = 0; i <= body.size(); i += 3)
        for (std::size_t j = i; j <= body.size(); j += 5)
            EXPECT_EQ(decode_split_borrowed(kB, body, {i, j}), kTwoParts) << "split at " << i << ", " << j;
}

TEST(MultipartBorrowed, RandomSplitsOfABigFilePart) {
    // A file part much longer than the pieces, with near-delimiters in it, as a streamed upload.
    std::string content;
    for (int i = 0; i < 4000; ++i) content += i % 7 == 0 ? "\r\n--" + kB.substr(0, 1 + i % 30) : "line " + std::to_string(i) + "\n";
    const std::string body = "--" + kB + "\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n--" + kB +
                             "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n\r\n" + content +
                             "\r\n--" + kB + "--\r\n";
    const Summary want{{"csrf_token|!||abc", "file|big.txt||" + content}, ""};
    for (int round = 0; round < 60; ++round) {
        std::vector<std::size_t> cuts;
        std::size_t at = 0;
        const std::size_t spread = round % 3 == 0 ? 16 : round % 3 == 1 ? 300 : 9000;
        for (;;) {
            at += 1 + crypto::random_uniform(static_cast<std::uint32_t>(spread));
            if (at >= body.size()) break;
            cuts.push_back(at);
        }
        EXPECT_EQ(decode_split_borrowed(kB, body, cuts), want) << "round " << round;
    }
}

// The delimiter search skims for CR and compares from there, and hands over to Horspool when
// CRs come close together: file data made of CRs, CRLFs and near-delimiters, in runs dense and
// sparse, must come out whole wherever the pieces are cut (the delimiter split at every offset).
TEST(MultipartBorrowed, CrHeavyFileDataAtEveryCut) {
    const std::vector<std::pair<std::string, std::string>> contents = {
        {"all_cr", std::string(3000, '\r')},
        {"crlf_lines", [] { std::string s; for (int i = 0; i < 300; ++i) s += "l" + std::to_string(i) + "\r\n"; return s; }()},
        {"dense_then_delimiter_prefixes", std::string(200, '\r') + "\r\n--" + kB.substr(0, kB.size() - 1) + "x" +
                                              std::string(100, 'a') + "\r\n-\r\n--\r"},
        {"sparse_then_dense", std::string(500, 'z') + "\r" + std::string(500, 'z') + std::string(64, '\r') + "\r\n--" + kB.substr(0, 20)},
        {"ends_with_cr", std::string(40, 'q') + "\r"},
        {"empty", ""},
    };
    for (const auto& [name, content] : contents) {
        const std::string body = "--" + kB + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n" +
                                 content + "\r\n--" + kB + "\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n\r\r\n--" +
                                 kB + "--\r\n";
        const Summary want{{"file|a.txt||" + content, "b|!||\r"}, ""};
        EXPECT_EQ(decode_whole(kB, body), want) << name;
        EXPECT_EQ(decode_split_borrowed(kB, body, {}), want) << name << " (borrowed)";
        // Every cut within the first delimiter after the data, and on either side of it.
        const std::size_t at = body.find("\r\n--" + kB, 40);
        for (std::size_t i = at > 40 ? at - 40 : 0; i <= at + kB.size() + 8; ++i) {
            EXPECT_EQ(decode_split(kB, body, {i}), want) << name << " split at " << i;
            EXPECT_EQ(decode_split_borrowed(kB, body, {i}), want) << name << " (borrowed) split at " << i;
        }
        for (int round = 0; round < 20; ++round) {
            std::vector<std::size_t> cuts;
            std::size_t pos = 0;
            for (;;) {
                pos += 1 + crypto::random_uniform(round % 2 == 0 ? 7 : 700);
                if (pos >= body.size()) break;
                cuts.push_back(pos);
            }
            EXPECT_EQ(decode_split_borrowed(kB, body, cuts), want) << name << " round " << round;
        }
    }
}

TEST(MultipartBorrowed, LimitsStillHold) {
    std::string part = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n";
    std::string three = part + part + part + "--b--";
    EXPECT_EQ(decode_split_borrowed("b", three, {5, 40}, {.max_parts = 2}).error, "too_many_parts");
    EXPECT_EQ(decode_split_borrowed("b", three, {5, 40}, {.max_body = three.size() - 1}).error, "too_large");
    EXPECT_EQ(decode_split_borrowed("b", three, {5, 40}, {.max_body = three.size()}).error, "");
    const std::string huge = "--b\r\nX-A: " + std::string(9000, 'a') + "\r\n";
    EXPECT_EQ(decode_split_borrowed("b", huge, {10, 4000, 8000}).error, "header_too_large");
}

TEST(Multipart, Limits) {
    std::string part = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n";
    std::string three = part + part + part + "--b--";
    EXPECT_EQ(decode_whole("b", three, {.max_parts = 2}).error, "too_many_parts");
    EXPECT_EQ(decode_whole("b", three, {.max_parts = 3}).error, "");
    EXPECT_EQ(decode_whole("b", three, {.max_body = three.size() - 1}).error, "too_large");
    EXPECT_EQ(decode_whole("b", three, {.max_body = three.size()}).error, "");
}

TEST(Multipart, StatusMapping) {
    EXPECT_EQ(http_status(Error::too_large), 413);
    EXPECT_EQ(http_status(Error::too_many_parts), 413);
    EXPECT_EQ(http_status(Error::no_final_boundary), 400);
    EXPECT_EQ(http_status(Error::io_error), 500);
    EXPECT_EQ(error_message(Error::type_not_allowed), "File type not allowed");
}

TEST(ContentType, BoundaryTable) {
    const struct {
        const char* name;
        std::string header;
        std::string boundary;  // empty: refused
    } cases[] = {
        {"token", "multipart/form-data; boundary=abc123", "abc123"},
        {"quoted", "multipart/form-data; boundary=\"a b:c\"", "a b:c"},
        {"case_insensitive", "Multipart/Form-Data; BOUNDARY=x", "x"},
        {"other_params", "multipart/form-data; charset=utf-8; boundary=x", "x"},
        {"max_length", "multipart/form-data; boundary=" + std::string(70, 'a'), std::string(70, 'a')},
        {"too_long", "multipart/form-data; boundary=" + std::string(71, 'a'), ""},
        {"empty", "multipart/form-data; boundary=\"\"", ""},
        {"missing", "multipart/form-data", ""},
        {"trailing_space", "multipart/form-data; boundary=\"ab \"", ""},
        {"bad_char", "multipart/form-data; boundary=\"a@b\"", ""},
        {"crlf", "multipart/form-data; boundary=\"a\r\nb\"", ""},
        {"duplicate", "multipart/form-data; boundary=a; boundary=b", ""},
        {"wrong_type", "multipart/mixed; boundary=a", ""},
        {"urlencoded", "application/x-www-form-urlencoded", ""},
        {"unterminated", "multipart/form-data; boundary=\"abc", ""},
    };
    for (const auto& c : cases) {
        auto r = boundary_from_content_type(c.header);
        if (c.boundary.empty()) {
            EXPECT_FALSE(r.ok()) << c.name;
        } else {
            ASSERT_TRUE(r.ok()) << c.name;
            EXPECT_EQ(*r, c.boundary) << c.name;
        }
    }
}

}  // namespace
}  // namespace bulwark::upload
