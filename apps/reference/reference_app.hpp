// The reference app of spec/reference-app.md: every Bulwark feature put to work, written
// only against the public API, so that it is the example users copy.
#pragma once

#include <bulwark/config.hpp>
#include <bulwark/http.hpp>

namespace reference {

// build adds the app's routes and pipeline to `app`, configured by `config`.
void build(bulwark::App& app, const bulwark::Config& config);

}  // namespace reference
