// templates.hpp: the page both engines render (same text for Jinja2 in jinja_bench.py).
#pragma once

inline constexpr const char* kLayout =
    "<!doctype html>\n<html>\n<head><title>{% block title %}Site{% endblock %}</title>"
    "<link rel=\"stylesheet\" href=\"/static/site.css\"></head>\n<body>\n<nav><a href=\"/\">Home</a> "
    "<a href=\"/users\">Users</a> <span>{{ user.name }}</span></nav>\n<main>{% block content %}{% endblock %}</main>\n"
    "<footer>&copy; Bulwark</footer>\n</body>\n</html>\n";

inline constexpr const char* kPage =
    "{% extends \"layout.html\" %}{% block title %}Users - {{ title }}{% endblock %}\n"
    "{% block content %}<h1>{{ title }}</h1>\n<table>\n"
    "{% for row in rows %}<tr class=\"{{ 'odd' if loop.index is odd else 'even' }}\"><td>{{ loop.index }}</td>"
    "<td><a href=\"/users/{{ row.id }}\">{{ row.name }}</a></td><td>{{ row.email }}</td>"
    "<td>{{ row.bio|truncate(40) }}</td></tr>\n{% endfor %}</table>{% endblock %}\n";
