-- Commit one dialog step atomically.
-- KEYS[1] person hash, KEYS[2] dedupe key (equal to KEYS[1] when the step has no event id),
-- KEYS[3..] keys the writes touch.
-- ARGV[1] expected version ("" for none, "*" for no check), ARGV[2] dedupe TTL (ms), ARGV[3] retention (ms),
-- ARGV[4] the number N of other version checks, then N pairs KEYINDEX, VERSION (a shared record
-- or another person the step read must still have that version: its field "v", "" when absent),
-- then writes as
-- CMD, KEYINDEX, NARGS, ARG1..ARGn.
local allowed = {HSET=true, HDEL=true, HSETNX=true, PEXPIRE=true, SET=true, ZADD=true,
  ZREM=true, ZREMRANGEBYSCORE=true, LPUSH=true, LTRIM=true, DEL=true, HINCRBY=true}
local ver = redis.call('HGET', KEYS[1], 'v')
if not ver then ver = '' end
if ARGV[1] ~= '*' and ver ~= ARGV[1] then return 'conflict' end
local nchecks = tonumber(ARGV[4])
for c = 1, nchecks do
  local kv = redis.call('HGET', KEYS[tonumber(ARGV[3 + 2 * c])], 'v')
  if not kv then kv = '' end
  if kv ~= ARGV[4 + 2 * c] then return 'conflict' end
end
if KEYS[2] ~= KEYS[1] then
  if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 'dup' end
end
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local i = 5 + 2 * nchecks
while i <= #ARGV do
  local cmd = ARGV[i]
  if not allowed[cmd] then return redis.error_reply('commit: command not allowed: ' .. cmd) end
  local key = KEYS[tonumber(ARGV[i + 1])]
  local n = tonumber(ARGV[i + 2])
  local args = {}
  for j = 1, n do args[j] = ARGV[i + 2 + j] end
  redis.call(cmd, key, unpack(args))
  i = i + 3 + n
end
return 'ok'
