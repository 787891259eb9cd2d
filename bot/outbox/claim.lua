-- Claim due outbox messages for one lease.
-- KEYS[1] the outbox sorted set. ARGV[1] now (ms), ARGV[2] how many, ARGV[3] lease end (ms),
-- ARGV[4] key prefix of the message hashes, ARGV[5] this claim's token.
-- Returns id, body, attempt for each claimed message. The token is written into the
-- message's hash: a process checks it before sending and when it extends its lease, so
-- once another process has taken a message over, the first one no longer sends it.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  local k = ARGV[4] .. id
  local body = redis.call('HGET', k, 'body')
  if body then
    redis.call('ZADD', KEYS[1], 'XX', ARGV[3], id)
    local n = redis.call('HINCRBY', k, 'attempts', 1)
    redis.call('HSET', k, 'claim', ARGV[5])
    table.insert(out, id)
    table.insert(out, body)
    table.insert(out, n)
  else
    -- The body expired (undelivered for days): nothing is left to send.
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
