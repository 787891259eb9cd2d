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
  local was = old
  if not was or string.sub(was, 1, 1) == '-' then
    was = fileUser
  end
  if was == '' or was == nil then
    return {'none'}
  end
  redis.call('HSET', KEYS[1], plat .. ':' .. person, '-' .. was)
  return {'unlinked', was}
end
redis.call('HSET', KEYS[1], plat .. ':' .. person, user, '@' .. plat .. ':' .. user, person)
return {'linked', user}
