#include <bulwark/template.hpp>
#include <gtest/gtest.h>
TEST(Smoke, Renders) {
    bulwark::tmpl::Environment env;
    auto t = env.from_string("<p>{{ x }}</p>");
    ASSERT_TRUE(t) << t.error().to_string();
    auto out = t->render({{"x", "<b>"}});
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, "<p>&lt;b&gt;</p>");
}
