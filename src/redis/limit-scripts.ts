// The Lua scripts that take and refund limit units inside Redis, atomically: each one line for line
// the pure functions planTake and planRefund of decide/limit-plan.ts, run over the same counters
// (a hash per key: v = value, t = at ms, e = expires ms), so a replica counts exactly as a process does.

/**
 * KEYS: one counter per limit. ARGV[1]: now in ms; then per limit: kind (r = rate, q = quota),
 * count, per seconds, capacity (a rate's burst). Answers {0, limit number, retry-after seconds}
 * or {1, remaining, reset-at ms, then the t written for each limit}. Numbers go back as integers
 * (Redis truncates Lua numbers), so every answered number is one already. A counter expires when
 * it equals none, after a time measured on the caller's clock (PEXPIRE, not PEXPIREAT), so a
 * Redis whose clock differs from the replicas' drops no counter early.
 */
export const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local writes = {}
local remaining = nil
local reset = nil
for i = 1, #KEYS do
  local kind = ARGV[2 + (i - 1) * 4]
  local count = tonumber(ARGV[3 + (i - 1) * 4])
  local per = tonumber(ARGV[4 + (i - 1) * 4])
  local cap = tonumber(ARGV[5 + (i - 1) * 4])
  local stored = redis.call('HMGET', KEYS[i], 'v', 't', 'e')
  local value, at, expires = tonumber(stored[1]), tonumber(stored[2]), tonumber(stored[3])
  if value ~= nil and (at == nil or expires == nil or expires <= now) then value = nil end
  if kind == 'r' then
    local perMs = count / (per * 1000)
    local atMs = now
    local tokens = cap
    if value ~= nil then
      if at > now then atMs = at end
      tokens = math.min(cap, value + math.max(0, now - at) * perMs)
    end
    if tokens < 1 then
      return {0, i, math.max(1, math.ceil((1 - tokens) / perMs / 1000))}
    end
    local full = atMs + math.ceil((cap - (tokens - 1)) / perMs)
    writes[i] = {tokens - 1, atMs, full}
    remaining = math.min(remaining or math.huge, math.floor(tokens - 1))
    reset = math.min(reset or math.huge, full)
  else
    local windowMs = per * 1000
    local start = math.floor(now / windowMs) * windowMs
    if value ~= nil and at > start then start = at end
    local used = 0
    if value ~= nil and at == start then used = value end
    if used >= count then
      return {0, i, math.max(1, math.ceil((start + windowMs - now) / 1000))}
    end
    writes[i] = {used + 1, start, start + windowMs}
    remaining = math.min(remaining or math.huge, count - used - 1)
    reset = math.min(reset or math.huge, start + windowMs)
  end
end
local answer = {1, remaining, reset}
for i = 1, #KEYS do
  local w = writes[i]
  redis.call('HSET', KEYS[i], 'v', string.format('%.17g', w[1]), 't', string.format('%d', w[2]), 'e', string.format('%d', w[3]))
  redis.call('PEXPIRE', KEYS[i], math.max(1, w[3] - now))
  answer[3 + i] = w[2]
end
return answer
`;

/**
 * KEYS: the counters a take wrote. ARGV[1]: the take's now in ms; then per limit: kind, count, per
 * seconds, capacity, and the t the take wrote. A rate's token goes back to the bucket as it is now,
 * a quota's unit only to the window it was taken from.
 */
export const REFUND_SCRIPT = `
local now = tonumber(ARGV[1])
for i = 1, #KEYS do
  local kind = ARGV[2 + (i - 1) * 5]
  local count = tonumber(ARGV[3 + (i - 1) * 5])
  local per = tonumber(ARGV[4 + (i - 1) * 5])
  local cap = tonumber(ARGV[5 + (i - 1) * 5])
  local taken = tonumber(ARGV[6 + (i - 1) * 5])
  local stored = redis.call('HMGET', KEYS[i], 'v', 't', 'e')
  local value, at, expires = tonumber(stored[1]), tonumber(stored[2]), tonumber(stored[3])
  if value ~= nil and at ~= nil and expires ~= nil and expires > now then
    if kind == 'r' then
      local perMs = count / (per * 1000)
      local v = math.min(cap, value + 1)
      local full = at + math.ceil((cap - v) / perMs)
      redis.call('HSET', KEYS[i], 'v', string.format('%.17g', v), 'e', string.format('%d', full))
      redis.call('PEXPIRE', KEYS[i], math.max(1, full - now))
    elseif at == taken and value > 0 then
      redis.call('HSET', KEYS[i], 'v', string.format('%.17g', value - 1))
    end
  end
end
return 1
`;
