// Loads tests/password/fixtures/hashes.tsv (made by make_fixtures.py).
#pragma once

#include <bulwark/crypto.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace bulwark::password::testing {

struct Fixture {
    std::string name;
    std::string password;
    std::string stored;
};

inline std::vector<Fixture> load_fixtures() {
    std::ifstream in(BULWARK_PASSWORD_FIXTURES "/hashes.tsv");
    std::vector<Fixture> out;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        Fixture f;
        std::string hex;
        std::getline(fields, f.name, '\t');
        std::getline(fields, hex, '\t');
        std::getline(fields, f.stored, '\t');
        auto raw = crypto::hex_decode(hex);
        if (!raw) continue;
        f.password.assign(raw->begin(), raw->end());
        out.push_back(std::move(f));
    }
    return out;
}

}  // namespace bulwark::password::testing
