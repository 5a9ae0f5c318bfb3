// field_types_test.cpp: secrets cannot become log fields (checked by the type system).
#include <bulwark/audit.hpp>

#include <gtest/gtest.h>

#include <concepts>

namespace audit = bulwark::audit;

namespace {

// Types a component might be tempted to log. None is in the closed set of field types.
struct AccessToken {
    std::string value;
    operator std::string_view() const { return value; }  // converts, and still refused
};
struct SessionId {
    std::string value;
};
struct RefreshToken {
    const char* c_str() const { return "x"; }
};

template <class T>
constexpr bool loggable = std::constructible_from<audit::Field, std::string_view, T>;

}  // namespace

// Allowed: text, integers, booleans.
static_assert(loggable<std::string_view>);
static_assert(loggable<const std::string&>);
static_assert(loggable<std::string>);
static_assert(loggable<const char*>);
static_assert(loggable<const char (&)[6]>);
static_assert(loggable<int>);
static_assert(loggable<std::int64_t>);
static_assert(loggable<std::uint16_t>);
static_assert(loggable<bool>);

// Refused: key material and anything shaped like a token.
static_assert(!loggable<bulwark::crypto::SecretBytes>);
static_assert(!loggable<const bulwark::crypto::SecretBytes&>);
static_assert(!loggable<bulwark::crypto::SecretBytes&&>);
static_assert(!loggable<AccessToken>);
static_assert(!loggable<const AccessToken&>);
static_assert(!loggable<SessionId>);
static_assert(!loggable<RefreshToken>);
static_assert(!loggable<bulwark::crypto::Bytes>);
static_assert(!loggable<bulwark::crypto::ByteView>);
static_assert(!loggable<double>);  // no silent float formatting differences across platforms
static_assert(!loggable<char>);    // a lone char is almost always a bug

TEST(AuditFieldTypes, ValuesKeepTheirType) {
    const std::string text = "bad_password";
    const audit::Field fields[] = {{"reason", text}, {"n", 3}, {"locked", true}, {"lit", "x"}};
    EXPECT_EQ(std::get<std::string_view>(fields[0].value()), "bad_password");
    EXPECT_EQ(std::get<std::int64_t>(fields[1].value()), 3);
    EXPECT_EQ(std::get<bool>(fields[2].value()), true);
    EXPECT_EQ(std::get<std::string_view>(fields[3].value()), "x");
    const char* null_text = nullptr;
    audit::Field null_field{"k", null_text};
    EXPECT_EQ(std::get<std::string_view>(null_field.value()), "");
}
