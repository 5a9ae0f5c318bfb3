-- wrk script for `make bench` (bench/macro/measure.py): one request, repeated, taken from the
-- environment so one script serves every route of both servers:
--   BENCH_METHOD   GET or POST (default GET)
--   BENCH_BODY     the request body (default none)
--   BENCH_HEADERS  header lines "Name: value", separated by newlines (cookies, tokens, types)
-- It counts the answers by status; done() prints one line "statuses 200=N 429=M ..." that
-- measure.py reads, so rate-limited answers (429) are reported apart from other failures.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and #body > 0 then wrk.body = body end
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

counts = {}  -- a global: done() reads it with thread:get

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, status .. "=" .. n) end
  table.sort(parts)
  io.write("statuses " .. table.concat(parts, " ") .. "\n")
end
