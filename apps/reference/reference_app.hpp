// The reference app of spec/reference-app.md: every Bulwark feature put to work, written
// only against the public API, so that it is the example users copy.
#pragma once

#include <bulwark/config.hpp>
#include <bulwark/http.hpp>

#include <string>
#include <vector>

namespace reference {

// build adds the app's routes and pipeline to `app`, configured by `config`: it opens the
// database (DATABASE_URL), applies the migrations, and installs the default pipeline.
// Throws on a configuration or database that cannot work (the app refuses to start).
void build(bulwark::App& app, const bulwark::Config& config);

// create_api_key makes a key for `owner` in the app's database and returns it; it is shown
// once and stored only as a hash (`bulwark api-key create` and the tests call it).
std::string create_api_key(const bulwark::Config& config, const std::string& name,
                           const std::string& owner, std::vector<std::string> scopes = {"data:read"});

}  // namespace reference
