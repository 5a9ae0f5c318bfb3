// The request-metrics stage and the /metrics route (metrics.cpp), installed by
// install_defaults when Services::metrics is set.
#pragma once

#include <bulwark/pipeline.hpp>

namespace bulwark::pipeline::detail {

// install_metrics adds the counting stage (it must be the first App::use) and the page's
// route, and registers the start check that fixes the route table the labels come from.
void install_metrics(App& app, const Services& services);

// is_loopback: 127.0.0.0/8, ::1 and IPv4-mapped loopback; false for anything unparsable.
bool is_loopback(std::string_view address) noexcept;

}  // namespace bulwark::pipeline::detail
