// The account::Tokens suite, run on SQLite by test_account and on PostgreSQL by
// test_account_integration. A file including it defines make_database() and instantiates
// nothing else: the TESTs below are the cases.
#pragma once

#include <bulwark/account.hpp>
#include <bulwark/crypto.hpp>
#include <bulwark/db.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace account_test {

namespace account = bulwark::account;
namespace crypto = bulwark::crypto;
namespace db = bulwark::db;
using account::Purpose;
using account::TokenError;

// make_database: a database with an empty account_tokens table (defined by the includer),
// or nullopt to skip (services not configured).
std::optional<db::Database> make_database();

crypto::SecretBytes key(char fill) { return crypto::SecretBytes(std::string(32, fill)); }

// Harness: the tokens over a database, a clock the test moves, and the users' password hashes.
struct Harness {
    db::Database database;
    std::shared_ptr<std::map<std::string, std::string>> hashes = std::make_shared<std::map<std::string, std::string>>();
    std::shared_ptr<std::atomic<std::int64_t>> clock = std::make_shared<std::atomic<std::int64_t>>(1'800'000'000);

    account::Options options() const {
        account::Options o;
        auto h = hashes;
        o.password_hash_of = [h](std::string_view user) -> bulwark::Result<std::optional<std::string>, db::DbError> {
            auto it = h->find(std::string(user));
            if (it == h->end()) return std::optional<std::string>{};
            return std::optional<std::string>{it->second};
        };
        o.error_log = [](std::string_view d) { ADD_FAILURE() << d; };
        auto c = clock;
        o.now = [c] { return account::TimePoint(std::chrono::seconds(c->load())); };
        return o;
    }
    account::Tokens tokens(std::vector<char> fills = {'a'}) const {
        std::vector<crypto::SecretBytes> keys;
        for (char f : fills) keys.push_back(key(f));
        return account::Tokens(database, std::move(keys), options());
    }
    void advance(std::chrono::seconds s) { *clock += s.count(); }
};

class TokensTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto d = make_database();
        if (!d) GTEST_SKIP() << "database not configured";
        h_ = std::make_unique<Harness>(Harness{std::move(*d)});
        (*h_->hashes)["alice"] = "$argon2id$alice-hash-1";
        (*h_->hashes)["bob"] = "$argon2id$bob-hash-1";
    }
    Harness& h() { return *h_; }
    std::unique_ptr<Harness> h_;
};

TEST_F(TokensTest, IssueGivesA256BitUrlSafeTokenThatRedeemsOnce) {
    auto t = h().tokens();
    auto issued = t.issue(Purpose::verify_email, "alice");
    ASSERT_TRUE(issued);
    EXPECT_EQ(issued->token.size(), account::kTokenChars);
    EXPECT_TRUE(account::parse_token(issued->token));
    auto first = t.consume(issued->token, Purpose::verify_email);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->user_id, "alice");
    auto second = t.consume(issued->token, Purpose::verify_email);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), TokenError::invalid);
}

TEST_F(TokensTest, StoresOnlyAKeyedHash) {
    auto t = h().tokens();
    auto issued = t.issue(Purpose::change_email, "alice", "new@example.com");
    ASSERT_TRUE(issued);
    auto rows = h().database.query("SELECT token_hash, binding, payload FROM account_tokens");
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    auto stored = (*rows)[0].get<db::Bytes>("token_hash");
    auto raw = crypto::base64url_decode(issued->token);
    ASSERT_TRUE(raw);
    EXPECT_EQ(stored.size(), 32u);
    EXPECT_NE(stored, *raw);
    const auto plain = crypto::sha256(*raw);
    EXPECT_FALSE(crypto::equal(stored, plain));  // keyed: a stolen table cannot confirm a token
    EXPECT_EQ((*rows)[0].get<std::string>("payload"), "new@example.com");
}

TEST_F(TokensTest, PayloadComesBack) {
    auto t = h().tokens();
    auto issued = t.issue(Purpose::change_email, "alice", "alice.new@example.com");
    ASSERT_TRUE(issued);
    auto peeked = t.peek(issued->token, Purpose::change_email);
    ASSERT_TRUE(peeked);
    EXPECT_EQ(peeked->payload, "alice.new@example.com");
    auto used = t.consume(issued->token, Purpose::change_email);
    ASSERT_TRUE(used);
    EXPECT_EQ(used->payload, "alice.new@example.com");
}

TEST_F(TokensTest, PeekDoesNotUseTheToken) {
    auto t = h().tokens();
    auto issued = t.issue(Purpose::reset_password, "alice");
    ASSERT_TRUE(issued);
    EXPECT_TRUE(t.peek(issued->token, Purpose::reset_password));
    EXPECT_TRUE(t.peek(issued->token, Purpose::reset_password));
    EXPECT_TRUE(t.consume(issued->token, Purpose::reset_password));
    EXPECT_FALSE(t.peek(issued->token, Purpose::reset_password));
}

TEST_F(TokensTest, DefaultLifetimes) {
    auto t = h().tokens();
    EXPECT_EQ(t.ttl(Purpose::reset_password), std::chrono::hours(1));
    EXPECT_EQ(t.ttl(Purpose::verify_email), std::chrono::hours(24));
    EXPECT_EQ(t.ttl(Purpose::change_email), std::chrono::hours(24));
    auto issued = t.issue(Purpose::reset_password, "alice");
    ASSERT_TRUE(issued);
    EXPECT_EQ(issued->expires_at, account::TimePoint(std::chrono::seconds(h().clock->load() + 3600)));
}

// The attack table: each case issues a token, does something to it, and presents it.
struct Attack {
    const char* name;
    Purpose issued_for;
    std::function<std::string(Harness&, account::Tokens&, const std::string& token)> tamper;
    Purpose presented_for;
    const char* expected_user;  // "" for none
    TokenError expected;
    bool owner_can_still_use;   // the refusal must not burn another user's / purpose's token
};

std::string flip_char(const std::string& t, std::size_t i) {
    std::string out = t;
    out[i] = out[i] == 'A' ? 'B' : 'A';
    return out;
}

TEST_F(TokensTest, AttackTable) {
    const std::vector<Attack> attacks = {
        {"wrong_purpose_verify_as_reset", Purpose::verify_email, nullptr, Purpose::reset_password, "",
         TokenError::invalid, true},
        {"wrong_purpose_reset_as_change_email", Purpose::reset_password, nullptr, Purpose::change_email, "",
         TokenError::invalid, true},
        {"other_users_token", Purpose::verify_email, nullptr, Purpose::verify_email, "bob", TokenError::invalid, true},
        {"expired_by_one_second", Purpose::reset_password,
         [](Harness& h, account::Tokens&, const std::string& t) { h.advance(std::chrono::seconds(3600)); return t; },
         Purpose::reset_password, "", TokenError::expired, false},
        {"expired_verify_after_a_day", Purpose::verify_email,
         [](Harness& h, account::Tokens&, const std::string& t) { h.advance(std::chrono::hours(24)); return t; },
         Purpose::verify_email, "", TokenError::expired, false},
        {"reused", Purpose::verify_email,
         [](Harness&, account::Tokens& tk, const std::string& t) {
             EXPECT_TRUE(tk.consume(t, Purpose::verify_email));
             return t;
         },
         Purpose::verify_email, "", TokenError::invalid, false},
        {"tampered_first_char", Purpose::verify_email,
         [](Harness&, account::Tokens&, const std::string& t) { return flip_char(t, 0); }, Purpose::verify_email, "",
         TokenError::invalid, true},
        {"tampered_middle_char", Purpose::reset_password,
         [](Harness&, account::Tokens&, const std::string& t) { return flip_char(t, 20); }, Purpose::reset_password,
         "", TokenError::invalid, true},
        {"truncated", Purpose::verify_email,
         [](Harness&, account::Tokens&, const std::string& t) { return t.substr(0, 42); }, Purpose::verify_email, "",
         TokenError::malformed, true},
        {"extended", Purpose::verify_email, [](Harness&, account::Tokens&, const std::string& t) { return t + "A"; },
         Purpose::verify_email, "", TokenError::malformed, true},
        {"unknown_well_formed", Purpose::verify_email,
         [](Harness&, account::Tokens&, const std::string&) { return crypto::random_token(32); },
         Purpose::verify_email, "", TokenError::invalid, true},
        {"password_changed_after_issue", Purpose::reset_password,
         [](Harness& h, account::Tokens&, const std::string& t) {
             (*h.hashes)["alice"] = "$argon2id$alice-hash-2";
             return t;
         },
         Purpose::reset_password, "", TokenError::password_changed, false},
        {"user_deleted_after_issue", Purpose::reset_password,
         [](Harness& h, account::Tokens&, const std::string& t) {
             h.hashes->erase("alice");
             return t;
         },
         Purpose::reset_password, "", TokenError::invalid, false},
        {"signed_by_a_key_no_longer_in_the_ring", Purpose::verify_email,
         [](Harness& h, account::Tokens&, const std::string&) {
             auto other = h.tokens({'z'});
             auto forged = other.issue(Purpose::verify_email, "alice");
             EXPECT_TRUE(forged);
             return forged->token;
         },
         Purpose::verify_email, "", TokenError::invalid, true},
    };
    for (const auto& a : attacks) {
        SCOPED_TRACE(a.name);
        ASSERT_TRUE(h().database.execute("DELETE FROM account_tokens"));
        (*h().hashes)["alice"] = "$argon2id$alice-hash-1";
        auto t = h().tokens();
        auto issued = t.issue(a.issued_for, "alice");
        ASSERT_TRUE(issued);
        const auto start = h().clock->load();
        const std::string presented = a.tamper ? a.tamper(h(), t, issued->token) : issued->token;
        auto peeked = t.peek(presented, a.presented_for, a.expected_user);
        ASSERT_FALSE(peeked);
        EXPECT_EQ(peeked.error(), a.expected) << account::token_error_name(peeked.error());
        auto got = t.consume(presented, a.presented_for, a.expected_user);
        ASSERT_FALSE(got);
        EXPECT_EQ(got.error(), a.expected) << account::token_error_name(got.error());
        if (a.owner_can_still_use) {
            EXPECT_TRUE(t.consume(issued->token, a.issued_for, "alice")) << "a refusal burnt the owner's token";
        }
        h().clock->store(start);
    }
}

TEST_F(TokensTest, AnyPasswordChangeVoidsOutstandingResetTokens) {
    auto t = h().tokens();
    auto a = t.issue(Purpose::reset_password, "alice");
    auto b = t.issue(Purpose::reset_password, "alice");
    auto bob = t.issue(Purpose::reset_password, "bob");
    ASSERT_TRUE(a && b && bob);
    auto used = t.consume(a->token, Purpose::reset_password);
    ASSERT_TRUE(used);
    (*h().hashes)["alice"] = "$argon2id$alice-new";  // the reset sets a new password
    auto other = t.consume(b->token, Purpose::reset_password);
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error(), TokenError::password_changed);
    EXPECT_TRUE(t.consume(bob->token, Purpose::reset_password));  // other users unaffected
}

TEST_F(TokensTest, ResetForUnknownUserIsRefusedAtIssue) {
    auto t = h().tokens();
    auto issued = t.issue(Purpose::reset_password, "mallory");
    ASSERT_FALSE(issued);
    EXPECT_EQ(issued.error(), TokenError::no_such_user);
}

TEST_F(TokensTest, KeyRotationKeepsMailedLinksWorking) {
    auto old_ring = h().tokens({'a'});
    auto issued = old_ring.issue(Purpose::reset_password, "alice");
    ASSERT_TRUE(issued);
    auto new_ring = h().tokens({'b', 'a'});
    auto got = new_ring.consume(issued->token, Purpose::reset_password);
    ASSERT_TRUE(got) << account::token_error_name(got.error());
    EXPECT_EQ(got->user_id, "alice");
}

TEST_F(TokensTest, LiveTokensPerUserAreCapped) {
    auto t = h().tokens();
    std::vector<std::string> tokens;
    for (int i = 0; i < 7; ++i) {
        auto issued = t.issue(Purpose::verify_email, "alice");
        ASSERT_TRUE(issued);
        tokens.push_back(issued->token);
        h().advance(std::chrono::seconds(1));
    }
    auto count = h().database.one<std::int64_t>("SELECT COUNT(*) FROM account_tokens WHERE user_id = ?", "alice");
    ASSERT_TRUE(count && *count);
    EXPECT_EQ(**count, 5);
    EXPECT_FALSE(t.peek(tokens[0], Purpose::verify_email));  // the oldest went
    EXPECT_FALSE(t.peek(tokens[1], Purpose::verify_email));
    EXPECT_TRUE(t.peek(tokens[6], Purpose::verify_email));   // the newest stays
}

TEST_F(TokensTest, RevokeAllAndPurge) {
    auto t = h().tokens();
    auto v = t.issue(Purpose::verify_email, "alice");
    auto r = t.issue(Purpose::reset_password, "alice");
    auto b = t.issue(Purpose::verify_email, "bob");
    ASSERT_TRUE(v && r && b);
    auto n = t.revoke_all("alice", Purpose::verify_email);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 1);
    EXPECT_FALSE(t.peek(v->token, Purpose::verify_email));
    EXPECT_TRUE(t.peek(r->token, Purpose::reset_password));
    h().advance(std::chrono::hours(2));  // the reset token (1 h) expired, the verify one (24 h) not
    auto purged = t.purge_expired();
    ASSERT_TRUE(purged);
    EXPECT_EQ(*purged, 1);
    EXPECT_TRUE(t.peek(b->token, Purpose::verify_email));
}

TEST_F(TokensTest, PayloadLimit) {
    auto t = h().tokens();
    auto big = t.issue(Purpose::change_email, "alice", std::string(1025, 'x'));
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error(), TokenError::payload_too_large);
    EXPECT_TRUE(t.issue(Purpose::change_email, "alice", std::string(1024, 'x')));
}

TEST_F(TokensTest, ConsumeInsideARolledBackTransactionLeavesTheTokenUsable) {
    auto t = h().tokens();
    auto issued = t.issue(Purpose::reset_password, "alice");
    ASSERT_TRUE(issued);
    {
        auto tx = h().database.transaction();
        ASSERT_TRUE(tx);
        ASSERT_TRUE(t.consume(issued->token, Purpose::reset_password));
        // the password update fails here; the transaction rolls back on scope exit
    }
    EXPECT_TRUE(t.consume(issued->token, Purpose::reset_password));
}

TEST_F(TokensTest, ConcurrentConsumersExactlyOneWins) {
    auto t = h().tokens();
    for (int round = 0; round < 5; ++round) {
        auto issued = t.issue(Purpose::verify_email, "alice");
        ASSERT_TRUE(issued);
        std::atomic<int> wins{0}, losses{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i)
            threads.emplace_back([&] {
                auto mine = h().tokens();  // another "instance" over the same database
                auto r = mine.consume(issued->token, Purpose::verify_email);
                if (r) ++wins;
                else if (r.error() == TokenError::invalid) ++losses;
            });
        for (auto& th : threads) th.join();
        EXPECT_EQ(wins.load(), 1);
        EXPECT_EQ(losses.load(), 3);
    }
}

}  // namespace account_test
