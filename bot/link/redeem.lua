-- Redeems a link code in one atomic step: limits wrong guesses per account, checks the
-- code, refuses an account that belongs to someone else, and writes the link.
--
-- KEYS[1] lc:HASH            the code: person, exp (ms), used (ms)
-- KEYS[2] links              PLATFORM:PERSON -> user ("-USER" unlinked), @PLATFORM:USER -> person
-- KEYS[3] lf:PLATFORM:USER   wrong guesses of this account: n, first (ms), until (ms)
-- ARGV: now ms, platform, user, owner by the school file ("" none), window ms,
--       slow after n, block after n, first slow-down ms, block ms
local now = tonumber(ARGV[1])
local plat, user, fileOwner = ARGV[2], ARGV[3], ARGV[4]
local window, slowAfter, blockAfter = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local slow, block = tonumber(ARGV[8]), tonumber(ARGV[9])

local f = redis.call('HMGET', KEYS[3], 'n', 'first', 'until')
local n = tonumber(f[1]) or 0
local first = tonumber(f[2]) or now
local untl = tonumber(f[3]) or 0
if untl > now then
  return {'wait', tostring(untl), tostring(n)}
end
if now - first > window then
  n = 0
  first = now
end

local c = redis.call('HMGET', KEYS[1], 'person', 'exp', 'used')
if not c[1] then
  n = n + 1
  untl = 0
  if n >= blockAfter then
    untl = now + block
  elseif n >= slowAfter then
    local d = slow
    for _ = 1, n - slowAfter do d = d * 2 end
    untl = now + d
  end
  redis.call('HSET', KEYS[3], 'n', n, 'first', first, 'until', untl)
  redis.call('PEXPIRE', KEYS[3], window + block)
  return {'wrong', tostring(untl), tostring(n)}
end
local person = c[1]
if c[3] then
  return {'used', person}
end
if tonumber(c[2]) <= now then
  return {'expired', person}
end
local owner = redis.call('HGET', KEYS[2], '@' .. plat .. ':' .. user)
if not owner then
  owner = fileOwner
end
if owner == person then
  return {'same', person}
end
if owner ~= '' then
  return {'taken', person, owner}
end
local old = redis.call('HGET', KEYS[2], plat .. ':' .. person)
if old and string.sub(old, 1, 1) ~= '-' then
  redis.call('HDEL', KEYS[2], '@' .. plat .. ':' .. old)
end
redis.call('HSET', KEYS[2], plat .. ':' .. person, user, '@' .. plat .. ':' .. user, person)
redis.call('HSET', KEYS[1], 'used', now)
redis.call('DEL', KEYS[3])
return {'ok', person}
