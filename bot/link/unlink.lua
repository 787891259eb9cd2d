-- Unlinks a person on one platform, and links an account found by another way (Slack
-- e-mail). KEYS[1] links. ARGV: platform, person, new user ("" to unlink), the file's
-- user ("" none).
-- Unlinking leaves "-USER" as a tombstone, so an id the school file gives is overruled
-- until the file names another one.
local plat, person, user, fileUser = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local old = redis.call('HGET', KEYS[1], plat .. ':' .. person)
if user ~= '' then
  local owner = redis.call('HGET', KEYS[1], '@' .. plat .. ':' .. user)
  if owner and owner ~= person then
    return {'taken', owner}
  end
end
if old and string.sub(old, 1, 1) ~= '-' then
  redis.call('HDEL', KEYS[1], '@' .. plat .. ':' .. old)
end
if user == '' then
  -- The tombstone names the file's id when there is one (that is what it overrules),
  -- else the runtime link just removed.
  local was = fileUser
  if was == '' and old and string.sub(old, 1, 1) ~= '-' then
    was = old
  end
  if was == '' then
    return {'none'}
  end
  redis.call('HSET', KEYS[1], plat .. ':' .. person, '-' .. was)
  return {'unlinked', was}
end
redis.call('HSET', KEYS[1], plat .. ':' .. person, user, '@' .. plat .. ':' .. user, person)
return {'linked', user}
