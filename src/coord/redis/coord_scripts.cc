#include "coord/redis/coord_scripts.h"

#include <cstddef>

namespace taskly::redis {
namespace {

constexpr const char* kPrelude = R"lua(
local P, NOW = ARGV[1], ARGV[2]
local function key(kind, name)
  if name then return P .. ':' .. kind .. ':' .. name end
  return P .. ':' .. kind
end
local function lt8(a, b)
  for i = 1, 8 do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return false
end
local function drop_node(id)
  local ex = redis.call('HGET', key('node', id), 'ex')
  if ex then redis.call('ZREM', key('nodes'), ex .. id) end
  redis.call('DEL', key('node', id))
end
)lua";

// A lease that ran out starts a new term even for the node that held it: in between it was not
// the leader, and may have been replaced and written nothing.
constexpr const char* kCampaign = R"lua(
local node, ex = ARGV[3], ARGV[4]
local h = redis.call('HMGET', key('leader'), 'node', 'term', 'ex')
if h[1] and h[3] and lt8(NOW, h[3]) then
  if h[1] ~= node then return {h[1], h[2], h[3]} end
  redis.call('HSET', key('leader'), 'ex', ex)
  return {node, h[2], ex}
end
local term = tostring(redis.call('INCR', key('term')))
redis.call('HSET', key('leader'), 'node', node, 'term', term, 'ex', ex)
return {node, term, ex}
)lua";

constexpr const char* kResign = R"lua(
local h = redis.call('HMGET', key('leader'), 'node', 'term')
if h[1] == ARGV[3] and h[2] == ARGV[4] then
  redis.call('DEL', key('leader'))
  return 1
end
return 0
)lua";

constexpr const char* kLeader = R"lua(
local h = redis.call('HMGET', key('leader'), 'node', 'term', 'ex')
if h[1] and h[3] and lt8(NOW, h[3]) then return {h[1], h[2], h[3]} end
return {'', redis.call('GET', key('term')) or '0', ''}
)lua";

constexpr const char* kHeartbeat = R"lua(
local id, ex = ARGV[3], ARGV[4]
drop_node(id)
redis.call('HSET', key('node', id), 'info', ARGV[5], 'ex', ex)
redis.call('ZADD', key('nodes'), 0, ex .. id)
return 1
)lua";

constexpr const char* kLeave = R"lua(
drop_node(ARGV[3])
return 1
)lua";

constexpr const char* kNodes = R"lua(
for _, m in ipairs(redis.call('ZRANGEBYLEX', key('nodes'), '-', '(' .. NOW .. '\255')) do
  redis.call('DEL', key('node', string.sub(m, 9)))
  redis.call('ZREM', key('nodes'), m)
end
local out = {}
for _, m in ipairs(redis.call('ZRANGEBYLEX', key('nodes'), '-', '+')) do
  out[#out + 1] = redis.call('HGET', key('node', string.sub(m, 9)), 'info') or ''
end
return out
)lua";

constexpr const char* kBodies[] = {kCampaign, kResign, kLeader, kHeartbeat, kLeave, kNodes};

}  // namespace

std::string CoordScriptSource(CoordScript script) {
  return std::string(kPrelude) + kBodies[static_cast<size_t>(script)];
}

}  // namespace taskly::redis
