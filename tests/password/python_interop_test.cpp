// Bulwark's argon2id hashes must verify in python3-argon2 (argon2-cffi), so a Python service
// sharing the user table keeps working.
#include <bulwark/password.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace bulwark::password {
namespace {

bool python_has_argon2() {
    return std::system("/usr/bin/python3 -c 'import argon2' >/dev/null 2>&1") == 0;
}

// Runs python3-argon2's verify; the hash and password go through the environment, never a
// shell command line.
int python_verify(const std::string& stored, const std::string& password) {
    setenv("BULWARK_TEST_HASH", stored.c_str(), 1);
    setenv("BULWARK_TEST_PASSWORD", password.c_str(), 1);
    const int rc = std::system(
        "/usr/bin/python3 -c 'import os, argon2\n"
        "try:\n"
        "    argon2.PasswordHasher().verify(os.environ[\"BULWARK_TEST_HASH\"], "
        "os.environ[\"BULWARK_TEST_PASSWORD\"]); print(\"ok\")\n"
        "except argon2.exceptions.VerifyMismatchError:\n"
        "    raise SystemExit(3)' >/dev/null");
    unsetenv("BULWARK_TEST_HASH");
    unsetenv("BULWARK_TEST_PASSWORD");
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(PythonInterop, BulwarkHashVerifiesInPythonArgon2) {
    if (!python_has_argon2()) {
        const char* required = std::getenv("BULWARK_REQUIRE_SERVICES");
        if (required != nullptr && std::string(required) == "1")
            FAIL() << "/usr/bin/python3 with argon2 (python3-argon2) is required";
        GTEST_SKIP() << "python3-argon2 not installed";
    }
    const std::string pw = "gr\xc3\xbc\xc3\x9f Gott, long passphrase";
    auto stored = hash(pw);
    ASSERT_TRUE(stored);
    EXPECT_EQ(python_verify(*stored, pw), 0);
    EXPECT_EQ(python_verify(*stored, pw + "!"), 3);
}

}  // namespace
}  // namespace bulwark::password
