// redis_scripts.cpp: Lua mirrors of increment and rate_math.cpp. Numbers are Lua doubles;
// times, counts and periods stay below 2^53 (rate_math.cpp's valid() bounds them), so sums
// are exact, math.floor of a quotient matches C++ integer division of non-negative operands,
// and the products that may pass 2^53 are computed in doubles on both sides (mul_div).
#include "redis_scripts.hpp"

namespace bulwark::store::detail {

const char* const kIncrementScript = R"lua(
local by = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('INCRBY', KEYS[1], by)
end
local v = redis.call('INCRBY', KEYS[1], by)
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return v
)lua";

const char* const kRateScript = R"lua(
local function cdiv(a, b) if a <= 0 then return 0 end return math.floor((a + b - 1) / b) end
local function step(st, algo, limit, p, cost, now)
  local a, b, c, d = st[1], st[2], st[3], st[4]
  local r = {allowed = 0, remaining = 0, reset = 0, retry = 0, first = 0}
  local ca, cb, cc, cd, ra, rb, rc, rd, keep
  if algo == 0 then
    if not st.has or now >= a + p or now < a - p then a, b, c, d = now, 0, 0, 0 end
    local left = math.max(1, a + p - now)
    keep = left
    r.reset = left
    ca, cb, cc, cd = a, b, c, d
    ra, rb, rc, rd = a, b, c, d
    if b + cost <= limit then
      r.allowed = 1; cb = b + cost; r.remaining = limit - cb
    else
      r.remaining = math.max(0, limit - b); r.retry = left
      if d == 0 then r.first = 1 end
      rd = 1
    end
  elseif algo == 1 then
    local idx = math.floor(now / p)
    if not st.has then a, b, c, d = idx + 1, 0, 0, 0
    elseif a == idx then a, b, c = idx + 1, 0, b
    elseif a ~= idx + 1 then a, b, c = idx + 1, 0, 0 end
    local elapsed = now - idx * p
    local to_next = p - elapsed
    local estimate = math.floor(c * to_next / p) + b
    keep = to_next + p
    r.reset = to_next
    ca, cb, cc, cd = a, b, c, d
    ra, rb, rc, rd = a, b, c, d
    if estimate + cost <= limit then
      r.allowed = 1; cb = b + cost; r.remaining = limit - estimate - cost
    else
      r.remaining = math.max(0, limit - estimate)
      local wait
      local room = limit - b - cost
      if room >= 0 and c > 0 then
        wait = math.max(1, p - math.floor((room + 1) * p / c) + 1 - elapsed)
      else
        local room_next = limit - cost
        wait = to_next
        if room_next < 0 then wait = wait + p
        elseif b > 0 then wait = wait + math.max(0, p - math.floor((room_next + 1) * p / b) + 1) end
      end
      r.retry = math.max(1, wait)
      if d ~= idx + 1 then r.first = 1 end
      rd = idx + 1
    end
  else
    local now_us = now * 1000
    local interval = math.max(1, math.floor(p * 1000 / limit))
    local tau = interval * limit
    local tat = math.max(a, now_us)
    local new_tat = tat + cost * interval
    ca, cb, cc, cd = a, b, c, d
    ra, rb, rc, rd = a, b, c, d
    if new_tat - now_us <= tau then
      r.allowed = 1; ca = new_tat
      r.remaining = math.floor((tau - (new_tat - now_us)) / interval)
      r.reset = cdiv(new_tat - now_us, 1000)
      keep = cdiv(new_tat - now_us, 1000) + p
    else
      r.remaining = math.max(0, math.floor((tau - (tat - now_us)) / interval))
      r.reset = cdiv(tat - now_us, 1000)
      r.retry = math.max(1, cdiv(new_tat - tau - now_us, 1000))
      if d == 0 or now - (d - 1) >= p then r.first = 1; rd = now + 1 end
      keep = cdiv(tat - now_us, 1000) + p
    end
  end
  r.counted = string.format('%d:%d:%d:%d', ca, cb, cc, cd)
  r.rejected = string.format('%d:%d:%d:%d', ra, rb, rc, rd)
  r.keep = math.max(1, keep)
  return r
end

local steps, all = {}, true
for i = 1, #KEYS do
  local o = (i - 1) * 5
  local raw = redis.call('GET', KEYS[i])
  local st = {0, 0, 0, 0, has = false}
  if raw then
    local x1, x2, x3, x4 = string.match(raw, '^(%-?%d+):(%-?%d+):(%-?%d+):(%-?%d+)$')
    if x1 then st = {tonumber(x1), tonumber(x2), tonumber(x3), tonumber(x4), has = true} end
  end
  local r = step(st, tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3]),
                 tonumber(ARGV[o + 4]), tonumber(ARGV[o + 5]))
  steps[i] = r
  if r.allowed == 0 then all = false end
end
local out = {}
for i = 1, #KEYS do
  local r = steps[i]
  if all then
    redis.call('SET', KEYS[i], r.counted, 'PX', string.format('%d', r.keep))
  elseif r.allowed == 0 and r.first == 1 then
    redis.call('SET', KEYS[i], r.rejected, 'PX', string.format('%d', r.keep))
  end
  local o = (i - 1) * 5
  out[o + 1] = r.allowed; out[o + 2] = r.remaining; out[o + 3] = r.reset
  out[o + 4] = r.retry; out[o + 5] = r.first
end
return out
)lua";

}  // namespace bulwark::store::detail
