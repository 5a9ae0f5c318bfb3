#!/usr/bin/python3
"""Run with Debian's /usr/bin/python3 (python3-jinja2, python3-bleach). Baseline for bench_template: Jinja2 renders the same page (autoescape on), and bleach
sanitizes the same 64 KiB comment. Prints renders/s and MB/s, both per second of process CPU
time (time.process_time), as Google Benchmark's CPU column is, so a loaded machine skews neither.
Argument: "render" or "sanitize" runs only that half."""
import re
import sys
import time
from pathlib import Path

import jinja2

here = Path(__file__).parent
src = (here / "templates.hpp").read_text()

def cpp_string(name):
    body = re.search(r"%s\s*=\s*((?:\s*\"(?:[^\"\\]|\\.)*\")+);" % name, src).group(1)
    parts = re.findall(r"\"((?:[^\"\\]|\\.)*)\"", body)
    return "".join(parts).encode().decode("unicode_escape")

env = jinja2.Environment(loader=jinja2.DictLoader({"layout.html": cpp_string("kLayout"),
                                                   "page.html": cpp_string("kPage")}),
                         autoescape=True)
page = env.get_template("page.html")
rows = [{"id": i, "name": "User <%d> & co" % i, "email": "user%d@example.com" % i,
         "bio": "Writes \"quoted\" text and <b>tags</b> that must be escaped, at length."} for i in range(100)]
ctx = {"title": "All users", "user": {"name": "Admin"}, "rows": rows}

def rate(fn, seconds=2.0):
    n, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        fn()
        n += 1
    return n / (time.process_time() - start)

which = sys.argv[1] if len(sys.argv) > 1 else "all"

if which in ("all", "render"):
    print("jinja2 %s render: %.0f renders/s" % (jinja2.__version__, rate(lambda: page.render(**ctx))))

if which in ("all", "sanitize"):
    try:
        import bleach
    except ImportError:
        bleach = None
        print("bleach not installed")
    if bleach is not None:
        one = ("<p>Hello <b>world</b>, see <a href=\"https://example.com/x?a=1&amp;b=2\" onclick=\"evil()\">this link</a>"
               " and <img src=x onerror=alert(1)> <script>alert(1)</script><em>emphasis</em></p>\n"
               "<ul><li>one</li><li>two <code>x &lt; y</code></li></ul><blockquote>quote</blockquote>\n")
        html = ""
        while len(html) < 64 * 1024:
            html += one
        per_s = rate(lambda: bleach.clean(html, strip=True), 3.0)
        print("bleach %s clean: %.2f MB/s" % (bleach.__version__, per_s * len(html) / 1e6))
