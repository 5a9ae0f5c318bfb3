#include <bulwark/crypto.hpp>
#include <bulwark/http.hpp>
#include <bulwark/testing.hpp>

#include <cstdio>

int main() {
    bulwark::App app;
    app.get("/", [](bulwark::Request&) { return bulwark::Response::text(bulwark::crypto::random_token()); });
    bulwark::testing::TestClient client(app);
    std::printf("consumer ok %d\n", client.get("/").status);
}
