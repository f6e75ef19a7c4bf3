#include "store/redis/scripts.h"

namespace taskly::redis {
namespace {

// Shared by every script. Task and queue hashes are loaded into Lua tables whose values are
// all strings; every transition is unindex(), a change of fields, set_state() (which indexes),
// as in the memory store, so the indexes cannot disagree with the hashes.
constexpr const char* kPrelude = R"lua(
local P, NOW = ARGV[1], ARGV[2]
local floor, byte, char, sub = math.floor, string.byte, string.char, string.sub
local P32, SIGN = 4294967296, 2147483648

local function key(kind, name)
  if name then return P .. ':' .. kind .. ':' .. name end
  return P .. ':' .. kind
end

local function num(x) return string.format('%.17g', x) end

local function hgetall(k)
  local flat = redis.call('HGETALL', k)
  if #flat == 0 then return nil end
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

-- cmd on k with args, in calls of at most 1000 arguments (unpack() is bounded by Lua's stack).
local function batched(cmd, k, args)
  for i = 1, #args, 1000 do redis.call(cmd, k, unpack(args, i, math.min(i + 999, #args))) end
end

local function flat(t)
  local out = {}
  for f, v in pairs(t) do
    out[#out + 1] = f
    out[#out + 1] = v
  end
  return out
end

-- T8 values (keys.h): 8 bytes, big endian, sign bit flipped. Compared byte by byte (Lua's
-- string comparison goes through the locale).
local function lt8(a, b)
  for i = 1, 8 do
    local x, y = byte(a, i), byte(b, i)
    if x ~= y then return x < y end
  end
  return false
end

-- 64-bit integers as two 32-bit halves (hi, lo) of their two's complement bits: doubles hold
-- each half exactly.
local function word(v)
  return char(floor(v / 16777216) % 256, floor(v / 65536) % 256, floor(v / 256) % 256, v % 256)
end
local function split8(s)
  local b1, b2, b3, b4, b5, b6, b7, b8 = byte(s, 1, 8)
  return (((b1 * 256 + b2) * 256 + b3) * 256 + b4 + SIGN) % P32,
         ((b5 * 256 + b6) * 256 + b7) * 256 + b8
end
local function join8(hi, lo) return word((hi + SIGN) % P32) .. word(lo) end
local function neg(hi, lo)
  if lo == 0 then return (P32 - hi) % P32, 0 end
  return P32 - 1 - hi, P32 - lo
end
-- floor(n / d) for unsigned 64-bit n and d > 0, by binary long division.
local function udiv(nh, nl, dh, dl)
  local qh, ql, rh, rl = 0, 0, 0, 0
  for i = 63, 0, -1 do
    local bit
    if i >= 32 then bit = floor(nh / 2 ^ (i - 32)) % 2 else bit = floor(nl / 2 ^ i) % 2 end
    rh = rh * 2 + floor(rl / SIGN)
    rl = (rl * 2) % P32 + bit
    if rh > dh or (rh == dh and rl >= dl) then
      rl, rh = rl - dl, rh - dh
      if rl < 0 then rl, rh = rl + P32, rh - 1 end
      if i >= 32 then qh = qh + 2 ^ (i - 32) else ql = ql + 2 ^ i end
    end
  end
  return qh, ql
end
-- (a - b) in seconds, for a >= b.
local function seconds_between(a, b)
  local ah, al = split8(a)
  local bh, bl = split8(b)
  local hi, lo = ah - bh, al - bl
  if lo < 0 then lo, hi = lo + P32, hi - 1 end
  return ((hi % P32) * P32 + lo) / 1e9
end
-- An unsigned integer below 2^53 as 8 bytes, big endian.
local function u8(n) return word(floor(n / P32)) .. word(n % P32) end

local ZERO8, LAST8 = join8(0, 0), string.rep('\255', 8)

-- OrderKey.primary under the priority policy (MakeOrderKey): -priority + ready_at / step, the
-- division truncating toward zero as C++ does.
local function priority_key(prio, ready, step)
  local hi, lo = 0, 0
  if step then
    local nh, nl = split8(ready)
    local negative = nh >= SIGN
    if negative then nh, nl = neg(nh, nl) end
    local dh, dl = split8(step)
    hi, lo = udiv(nh, nl, dh, dl)
    if negative then hi, lo = neg(hi, lo) end
  end
  lo = lo - prio
  hi = (hi + floor(lo / P32)) % P32
  return join8(hi, lo % P32)
end

-- A pending task's member in its queue's ready set: T8(primary) . U8(seq) . id.
local function member(id, t, cfg)
  local po, primary = cfg.po, ZERO8
  if po == '1' then
    primary = priority_key(tonumber(t.pr or '0'), t.rd, cfg.ag)
  elseif po == '2' then
    primary = t.dl or LAST8
  elseif po == '3' then
    primary = LAST8
    if t.pe and lt8(ZERO8, t.pe) then primary = t.pe end
  end
  return primary .. u8(tonumber(t.sq)) .. id
end

local woken = {}
local function wake(q) woken[q] = true end
local function publish()
  for q in pairs(woken) do redis.call('PUBLISH', key('wake'), q) end
end

local function task(id) return hgetall(key('task', id)) end
local function put(id, t, ...)
  local args = {...}
  for i = 1, #args, 2 do t[args[i]] = args[i + 1] end
  redis.call('HSET', key('task', id), ...)
end
local function del(id, t, f)
  t[f] = nil
  redis.call('HDEL', key('task', id), f)
end

local function ensure_queue(q)
  if redis.call('SADD', key('queues'), q) == 1 then
    redis.call('HSET', key('queue', q), 'po', '0', 'cc', '0', 'rt', '0', 'bu', '0', 'wt', '1',
               'pa', '0', 'dm', '0')
  end
end

-- States are TaskState's numbers: 0 scheduled, 1 pending, 2 active, 3.. terminal.
local function unindex(id, t)
  local q, st = t.q, t.st
  redis.call('HINCRBY', key('queue', q), 'n' .. st, -1)
  if st == '1' or st == '0' then
    if st == '1' then
      redis.call('ZREM', key('ready', q), t.rk)
    else
      redis.call('ZREM', key('scheduled', q), t.sf .. id)
    end
    if t.dl then redis.call('ZREM', key('deadlines', q), t.dl .. id) end
  elseif st == '2' then
    redis.call('ZREM', key('leases'), t.lx .. id)
  else
    redis.call('ZREM', key('done'), t.fa .. id)
  end
end

local function index(id, t, cfg)
  local q, st = t.q, t.st
  redis.call('HINCRBY', key('queue', q), 'n' .. st, 1)
  if st == '1' or st == '0' then
    if st == '1' then
      local m = member(id, t, cfg or hgetall(key('queue', q)))
      put(id, t, 'rk', m)
      redis.call('ZADD', key('ready', q), 0, m)
    else
      redis.call('ZADD', key('scheduled', q), 0, t.sf .. id)
    end
    if t.dl then redis.call('ZADD', key('deadlines', q), 0, t.dl .. id) end
  elseif st == '2' then
    redis.call('ZADD', key('leases'), 0, t.lx .. id)
  else
    redis.call('ZADD', key('done'), 0, t.fa .. id)
  end
end

-- Moves t (already unindexed) to state st and indexes it there. A scheduled task's caller
-- has set sf.
local function set_state(id, t, st, cfg)
  put(id, t, 'st', st)
  if tonumber(st) >= 3 then put(id, t, 'fa', NOW) elseif t.fa then del(id, t, 'fa') end
  if st ~= '0' and t.sf then del(id, t, 'sf') end
  index(id, t, cfg)
  -- Work may have become claimable: a task became ready (or due later), or a slot was freed.
  if st ~= '2' then wake(t.q) end
end

local function make_pending(id, t, ready_at, new_seq, cfg)
  if new_seq then put(id, t, 'sq', tostring(redis.call('INCR', key('seq')))) end
  put(id, t, 'rd', ready_at)
  set_state(id, t, '1', cfg)
end

local function expire(id, t)
  unindex(id, t)
  put(id, t, 'le', 'deadline passed before the task could start')
  redis.call('HINCRBY', key('queue', t.q), 'dm', 1)
  set_state(id, t, '6')
end

-- Scheduled tasks of q due by now become pending (ready since they were due).
local function promote_due(q, limit)
  local due = redis.call('ZRANGEBYLEX', key('scheduled', q), '-', '(' .. NOW .. '\255',
                         'LIMIT', 0, limit)
  if #due == 0 then return 0 end
  local cfg = hgetall(key('queue', q))
  for _, m in ipairs(due) do
    local id = sub(m, 9)
    local t = task(id)
    unindex(id, t)
    make_pending(id, t, t.sf, false, cfg)
  end
  return #due
end

-- Pending and scheduled tasks of q whose deadline is before now expire.
local function expire_passed(q, limit)
  local passed = redis.call('ZRANGEBYLEX', key('deadlines', q), '-', '(' .. NOW,
                            'LIMIT', 0, limit)
  for _, m in ipairs(passed) do
    local id = sub(m, 9)
    expire(id, task(id))
  end
  return #passed
end

-- The token bucket (core/token_bucket.h) in a queue's hash: br size, tk tokens, bl last refill.
local function refill(cfg)
  local rate = tonumber(cfg.rt)
  if rate > 0 and cfg.bl and lt8(cfg.bl, NOW) then
    cfg.tk = num(math.min(tonumber(cfg.br), tonumber(cfg.tk) + seconds_between(NOW, cfg.bl) * rate))
  end
  if not cfg.bl or lt8(cfg.bl, NOW) then cfg.bl = NOW end
end

-- The active task for (id, token), or nil and the code a stale settle gets.
local function find_lease(id, token)
  local t = task(id)
  if not t then return nil, 1 end
  if t.lt ~= token then return nil, 2 end
  if t.st == '5' then return nil, 3 end
  if t.st ~= '2' then return nil, 2 end
  return t, 0
end

local function delete_task(id)
  local t = task(id)
  unindex(id, t)
  if t.uk and redis.call('HGET', key('unique', t.uk), 'id') == id then
    redis.call('DEL', key('unique', t.uk))
  end
  redis.call('DEL', key('task', id))
  redis.call('ZREM', key('ids'), id)
end
)lua";

// ARGV[3] now in milliseconds (decimal), ARGV[4] the number of tasks, ARGV[5] the leader's
// term (decimal) for a fenced enqueue or '', then per task: queue, T8(scheduled_for) or ''
// (pending now), unique_key, T8(unique until) or '', schedule_id, T8(tick_due) or '', the number
// of spec fields, then the spec fields and values.
// Returns id, created ('1' or '0') per task; or, writing nothing, the coordinator's term (an
// integer) when it is newer than the fence (coord/redis/coord_scripts.h: <p>:term).
constexpr const char* kEnqueue = R"lua(
local ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
local function b32(v, n)
  local s = {}
  for k = n, 1, -1 do
    local d = v % 32
    s[k] = sub(ALPHABET, d + 1, d + 1)
    v = floor(v / 32)
  end
  return table.concat(s)
end
-- Ids as TaskIdGenerator makes them (9 base32 chars of milliseconds, 6 of a counter), kept
-- increasing across every client of this Redis whatever their clocks say. Counters (and seqs)
-- are reserved for the whole call at once; a duplicate leaves its numbers unused.
local function new_ids(ms, n)
  local c = redis.call('INCRBY', key('idseq'), n) - n
  local m = math.max(ms, tonumber(redis.call('GET', key('idms')) or '0'))
  local head, k = b32(m, 9), 0
  return function()
    k = k + 1
    local v = (c + k) % 1073741824
    if v == 0 then
      m = m + 1
      head = b32(m, 9)
    end
    if k == n then redis.call('SET', key('idms'), string.format('%.0f', m)) end
    return head .. b32(v, 6)
  end
end

if ARGV[5] ~= '' then
  local term = tonumber(redis.call('GET', key('term')) or '0')
  if term > tonumber(ARGV[5]) then return term end
end
local n = tonumber(ARGV[4])
local next_id = new_ids(tonumber(ARGV[3]), n)
local seq = redis.call('INCRBY', key('seq'), n) - n
local i = 6
local out, cfgs, ids, sets, counts = {}, {}, {}, {}, {}
-- Index entries are gathered per set and written by one command each at the end: nothing in
-- this call reads the sets, and the unique and tick keys a later task of the call may check
-- are written at once.
local function add(k, m)
  local list = sets[k]
  if not list then
    list = {}
    sets[k] = list
  end
  list[#list + 1] = 0
  list[#list + 1] = m
end
for _ = 1, n do
  local q, sf, uk, uuntil, si, td = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4],
                                    ARGV[i + 5]
  local first = i + 7
  i = first + 2 * tonumber(ARGV[i + 6])
  local id = next_id()
  seq = seq + 1
  local dup
  if td ~= '' then
    local held = redis.call('HMGET', key('tick', si), 'due', 'id')
    if held[1] and not lt8(held[1], td) then
      dup = ''
      if held[1] == td and redis.call('EXISTS', key('task', held[2])) == 1 then dup = held[2] end
    end
  end
  if not dup and uk ~= '' then
    local held = redis.call('HMGET', key('unique', uk), 'id', 'until')
    if held[1] then
      local st = redis.call('HGET', key('task', held[1]), 'st')
      local live = false
      if st then
        if held[2] then live = lt8(NOW, held[2]) else live = tonumber(st) < 3 end
      end
      if live then dup = held[1] end
    end
  end
  if dup then
    out[#out + 1] = dup
    out[#out + 1] = '0'
  else
    local cfg = cfgs[q]
    if not cfg then
      ensure_queue(q)
      cfg = hgetall(key('queue', q))
      cfgs[q] = cfg
      counts[q] = {0, 0}
    end
    -- The HSET's arguments are built as one list; a table of the fields is made only when
    -- the queue's order needs one (member() reads pr, pe or dl; under fifo only sq).
    local sq = string.format('%.0f', seq)
    local args = {'id', id, 'sq', sq, 'at', '0', 'lt', '0', 'ea', NOW}
    local dl
    for f = first, i - 1, 2 do
      local name, value = ARGV[f], ARGV[f + 1]
      args[#args + 1] = name
      args[#args + 1] = value
      if name == 'dl' then dl = value end
    end
    if dl then add(key('deadlines', q), dl .. id) end
    local n1 = #args
    if sf ~= '' then
      args[n1 + 1], args[n1 + 2], args[n1 + 3], args[n1 + 4] = 'sf', sf, 'st', '0'
      add(key('scheduled', q), sf .. id)
      counts[q][1] = counts[q][1] + 1
    else
      local t = {sq = sq, rd = NOW}
      if cfg.po ~= '0' then
        for f = 1, n1, 2 do t[args[f]] = args[f + 1] end
      end
      local rk = member(id, t, cfg)
      args[n1 + 1], args[n1 + 2], args[n1 + 3], args[n1 + 4] = 'rd', NOW, 'st', '1'
      args[n1 + 5], args[n1 + 6] = 'rk', rk
      add(key('ready', q), rk)
      counts[q][2] = counts[q][2] + 1
    end
    redis.call('HSET', key('task', id), unpack(args))
    ids[#ids + 1] = 0
    ids[#ids + 1] = id
    if uk ~= '' then
      redis.call('DEL', key('unique', uk))
      if uuntil ~= '' then
        redis.call('HSET', key('unique', uk), 'id', id, 'until', uuntil)
      else
        redis.call('HSET', key('unique', uk), 'id', id)
      end
    end
    if td ~= '' then redis.call('HSET', key('tick', si), 'due', td, 'id', id) end
    out[#out + 1] = id
    out[#out + 1] = '1'
  end
end
if #ids > 0 then batched('ZADD', key('ids'), ids) end
for k, list in pairs(sets) do batched('ZADD', k, list) end
for q, c in pairs(counts) do
  local qk = key('queue', q)
  if c[1] > 0 then redis.call('HINCRBY', qk, 'n0', c[1]) end
  if c[2] > 0 then redis.call('HINCRBY', qk, 'n1', c[2]) end
  wake(q)
end
publish()
return out
)lua";

// ARGV[3] worker, ARGV[4] max tasks, ARGV[5] T8(lease expiry), ARGV[6..] queues in preference
// order. Promotes the queues' due tasks and expires their passed deadlines first. Returns the
// claimed tasks' hashes (flat field/value arrays), in claim order.
//
// The hot path: each task's pending -> active move is unindex() + set_state() written out, with
// one HSET per task; the ready, deadline and lease sets and the queue's state counts change by
// one command per queue or per call, because every command of a script costs Redis its
// execution and, when it writes, its AOF record.
constexpr const char* kClaim = R"lua(
local worker, max, lx = ARGV[3], tonumber(ARGV[4]), ARGV[5]
local out, leased = {}, {}
for qi = 6, #ARGV do
  if #out >= max then break end
  local q = ARGV[qi]
  local qk = key('queue', q)
  if redis.call('EXISTS', qk) == 1 then
    promote_due(q, 1000)
    expire_passed(q, 1000)
    local cfg = hgetall(qk)
    local cc, rate, want = tonumber(cfg.cc), tonumber(cfg.rt), max - #out
    if cfg.pa == '1' then want = 0 end
    if cc > 0 then want = math.min(want, cc - tonumber(cfg.n2 or '0')) end
    if rate > 0 and want > 0 then
      refill(cfg)
      want = math.min(want, floor(tonumber(cfg.tk)))
    end
    -- Ready members all score 0, so ZPOPMIN takes them in lexical, that is policy, order.
    local popped = {}
    if want > 0 then popped = redis.call('ZPOPMIN', key('ready', q), want) end
    local taken, passed = #popped / 2, {}
    for k = 1, #popped, 2 do
      local id = sub(popped[k], 17)
      local tk = key('task', id)
      -- The hash is scanned as HGETALL returns it, not made a table: the reply is that array
      -- with the fields written here appended (a field's last value is the one decoded).
      local fields = redis.call('HGETALL', tk)
      local at, lt, stale
      for j = 1, #fields, 2 do
        local f = fields[j]
        if f == 'at' then
          at = fields[j + 1]
        elseif f == 'lt' then
          lt = fields[j + 1]
        elseif f == 'dl' then
          passed[#passed + 1] = fields[j + 1] .. id
        elseif f == 'fa' or f == 'sf' then
          stale = true
        end
      end
      if stale then
        -- Never left on a pending task by these scripts; cleared as set_state() would.
        local t = hgetall(tk)
        if t.fa then del(id, t, 'fa') end
        if t.sf then del(id, t, 'sf') end
        fields = flat(t)
      end
      local n = #fields
      fields[n + 1], fields[n + 2] = 'at', tostring(tonumber(at) + 1)
      fields[n + 3], fields[n + 4] = 'lt', tostring(tonumber(lt) + 1)
      fields[n + 5], fields[n + 6] = 'sa', NOW
      fields[n + 7], fields[n + 8] = 'wk', worker
      fields[n + 9], fields[n + 10] = 'lx', lx
      fields[n + 11], fields[n + 12] = 'st', '2'
      redis.call('HSET', tk, unpack(fields, n + 1, n + 12))
      leased[#leased + 1] = 0
      leased[#leased + 1] = lx .. id
      out[#out + 1] = fields
    end
    if taken > 0 then
      if #passed > 0 then batched('ZREM', key('deadlines', q), passed) end
      if rate > 0 then
        cfg.tk = num(tonumber(cfg.tk) - taken)
        redis.call('HSET', qk, 'tk', cfg.tk, 'bl', cfg.bl)
      end
      redis.call('HINCRBY', qk, 'n1', -taken)
      redis.call('HINCRBY', qk, 'n2', taken)
    end
  end
end
if #leased > 0 then batched('ZADD', key('leases'), leased) end
publish()
return out
)lua";

// ARGV[3] n, then n triples (id, token, result). Returns one code per item.
//
// The hot path, like claim: each active -> succeeded move is unindex() + set_state() written
// out, one HMGET and one HSET per task; the lease and done sets change by one command per call
// and the state counts once per queue.
constexpr const char* kComplete = R"lua(
local out, done, unleased, finished = {}, {}, {}, {}
for k = 0, tonumber(ARGV[3]) - 1 do
  local id, token, result = ARGV[4 + 3 * k], ARGV[5 + 3 * k], ARGV[6 + 3 * k]
  local tk = key('task', id)
  -- find_lease() on the four fields it needs, not the whole hash.
  local f = redis.call('HMGET', tk, 'st', 'lt', 'q', 'lx')
  local code = 0
  if not f[1] then
    code = 1
  elseif f[2] ~= token or f[1] ~= '2' then
    code = 2
    if f[2] == token and f[1] == '5' then code = 3 end
  end
  if code == 0 then
    unleased[#unleased + 1] = f[4] .. id
    redis.call('HSET', tk, 'rs', result, 'st', '3', 'fa', NOW)
    finished[#finished + 1] = 0
    finished[#finished + 1] = NOW .. id
    done[f[3]] = (done[f[3]] or 0) + 1
  end
  out[#out + 1] = code
end
if #unleased > 0 then
  batched('ZREM', key('leases'), unleased)
  batched('ZADD', key('done'), finished)
end
for q, n in pairs(done) do
  local qk = key('queue', q)
  redis.call('HINCRBY', qk, 'n2', -n)
  redis.call('HINCRBY', qk, 'n3', n)
  -- A finished task frees a slot, which only matters to a queue with a concurrency limit: the
  -- others had nothing waiting on it, and a publish per call would wake idle workers of every
  -- process for nothing.
  if tonumber(redis.call('HGET', qk, 'cc') or '0') > 0 then wake(q) end
end
publish()
return out
)lua";

// ARGV[3] id, [4] token, [5] error, [6] '1' if permanent, [7] T8(retry_at) if in the future
// else ''. Returns {code, new state}.
constexpr const char* kFail = R"lua(
local id, token, err, permanent, retry_at = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local t, code = find_lease(id, token)
if not t then return {code, ''} end
unindex(id, t)
put(id, t, 'le', err)
if permanent == '1' or tonumber(t.at) >= tonumber(t.ma) then
  set_state(id, t, '4')
elseif retry_at ~= '' then
  -- A retry queues behind the tasks that arrived before it, whether it waits or not.
  put(id, t, 'sq', tostring(redis.call('INCR', key('seq'))), 'sf', retry_at)
  set_state(id, t, '0')
else
  make_pending(id, t, NOW, true)
end
publish()
return {0, t.st}
)lua";

// ARGV[3] id, [4] token, [5] checkpoint. Returns a code.
constexpr const char* kYield = R"lua(
local id, token = ARGV[3], ARGV[4]
local t, code = find_lease(id, token)
if not t then return code end
unindex(id, t)
-- A time slice is not a failed attempt.
put(id, t, 'cp', ARGV[5], 'at', tostring(tonumber(t.at) - 1))
make_pending(id, t, NOW, true)
publish()
return 0
)lua";

// ARGV[3] id, [4] token, [5] T8(new lease expiry). Returns a code.
constexpr const char* kHeartbeat = R"lua(
local id, token = ARGV[3], ARGV[4]
local t, code = find_lease(id, token)
if not t then return code end
unindex(id, t)
put(id, t, 'lx', ARGV[5])
index(id, t)
return 0
)lua";

// ARGV[3] id. Returns {code, state}.
constexpr const char* kCancel = R"lua(
local id = ARGV[3]
local t = task(id)
if not t then return {1, ''} end
if tonumber(t.st) >= 3 then return {4, t.st} end
unindex(id, t)
set_state(id, t, '5')
publish()
return {0, '5'}
)lua";

// ARGV[3] id. A manual retry of a dead, cancelled or expired task: pending now, attempts reset,
// its old deadline dropped. Returns {code, state}.
constexpr const char* kRetry = R"lua(
local id = ARGV[3]
local t = task(id)
if not t then return {1, ''} end
if t.st ~= '4' and t.st ~= '5' and t.st ~= '6' then return {4, t.st} end
unindex(id, t)
put(id, t, 'at', '0')
if t.dl then del(id, t, 'dl') end
make_pending(id, t, NOW, true)
publish()
return {0, '1'}
)lua";

// ARGV[3] queue, [4] policy, [5] T8(aging step) or '', [6] concurrency, [7] rate, [8] burst,
// [9] weight. Creates the queue if needed, reconfigures its token bucket as
// TokenBucket::configure does, and re-keys its ready set under the new policy.
constexpr const char* kSetQueue = R"lua(
local q = ARGV[3]
ensure_queue(q)
local qk = key('queue', q)
local cfg = hgetall(qk)
refill(cfg)
local rate, burst = tonumber(ARGV[7]), tonumber(ARGV[8])
local br = burst
if br <= 0 then br = math.max(1, math.ceil(rate)) end
local tokens = br
if tonumber(cfg.rt) > 0 then tokens = math.min(tonumber(cfg.tk), br) end
redis.call('HSET', qk, 'po', ARGV[4], 'cc', ARGV[6], 'rt', ARGV[7], 'bu', ARGV[8], 'wt', ARGV[9],
           'br', num(br), 'tk', num(tokens), 'bl', cfg.bl)
if ARGV[5] == '' then redis.call('HDEL', qk, 'ag') else redis.call('HSET', qk, 'ag', ARGV[5]) end
cfg = hgetall(qk)
local rk = key('ready', q)
for _, m in ipairs(redis.call('ZRANGE', rk, 0, -1)) do
  local id = sub(m, 17)
  local t = task(id)
  local fresh = member(id, t, cfg)
  if fresh ~= m then
    redis.call('ZREM', rk, m)
    redis.call('ZADD', rk, 0, fresh)
    put(id, t, 'rk', fresh)
  end
end
wake(q)
publish()
return 0
)lua";

// ARGV[3] queue, [4] '1' to pause, '0' to resume. Returns a code.
constexpr const char* kPauseQueue = R"lua(
local qk = key('queue', ARGV[3])
if redis.call('EXISTS', qk) == 0 then return 1 end
redis.call('HSET', qk, 'pa', ARGV[4])
wake(ARGV[3])
publish()
return 0
)lua";

// Returns {name, flat hash} for every queue.
constexpr const char* kQueues = R"lua(
local out = {}
for _, q in ipairs(redis.call('SMEMBERS', key('queues'))) do
  out[#out + 1] = {q, redis.call('HGETALL', key('queue', q))}
end
return out
)lua";

// ARGV[3..] queues. Read only. Returns {1, '', ''} if one of them has claimable work, else
// {0, T8 of the earliest scheduled task or '', seconds until a rate-limited queue with ready
// tasks gets a token or ''}.
constexpr const char* kProbe = R"lua(
local earliest, wait
for qi = 3, #ARGV do
  local q = ARGV[qi]
  local cfg = hgetall(key('queue', q))
  if cfg then
    local first = redis.call('ZRANGEBYLEX', key('scheduled', q), '-', '+', 'LIMIT', 0, 1)[1]
    if first then
      first = sub(first, 1, 8)
      if not earliest or lt8(first, earliest) then earliest = first end
    end
    local cc = tonumber(cfg.cc)
    if cfg.pa ~= '1' and tonumber(cfg.n1 or '0') > 0 and
       (cc <= 0 or tonumber(cfg.n2 or '0') < cc) then
      local rate = tonumber(cfg.rt)
      if rate <= 0 then return {1, '', ''} end
      refill(cfg)
      local tokens = tonumber(cfg.tk)
      if tokens >= 1 then return {1, '', ''} end
      local s = (1 - tokens) / rate
      if not wait or s < wait then wait = s end
    end
  end
end
return {0, earliest or '', wait and num(wait) or ''}
)lua";

// ARGV[3] list ids after this one ('' from the start), [4] how many matches to return at most,
// [5] how many ids to look at at most, [6] state ('' any), [7] queue, [8] type, [9] label key,
// [10] label value. Returns {matching task hashes, the last id looked at, '1' if the ids ran
// out}.
constexpr const char* kList = R"lua(
local from = '-'
if ARGV[3] ~= '' then from = '(' .. ARGV[3] end
local want, budget = tonumber(ARGV[4]), tonumber(ARGV[5])
local state, queue, ty, lkey, lvalue = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local label = 'id'
if lkey ~= '' then label = 'l:' .. lkey end
local ids = redis.call('ZRANGEBYLEX', key('ids'), from, '+', 'LIMIT', 0, budget)
local out, last, looked = {}, '', 0
for _, id in ipairs(ids) do
  if #out >= want then break end
  last = id
  looked = looked + 1
  local tk = key('task', id)
  local v = redis.call('HMGET', tk, 'st', 'q', 'ty', label)
  if (state == '' or v[1] == state) and (queue == '' or v[2] == queue) and
     (ty == '' or v[3] == ty) and (lkey == '' or v[4] == lvalue) then
    out[#out + 1] = redis.call('HGETALL', tk)
  end
end
local ran_out = '0'
if #ids < budget and looked == #ids then ran_out = '1' end
return {out, last, ran_out}
)lua";

// ARGV[3] how many tasks each duty may handle in this call, [4] retention max_count,
// [5] T8(now - retention max_age). Returns {promoted, recovered, quarantined, expired, deleted,
// 1 if a duty had more to do than it was allowed}.
constexpr const char* kMaintain = R"lua(
local budget, max_count, cutoff = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local promoted, recovered, quarantined, expired, deleted, more = 0, 0, 0, 0, 0, 0
local queues = redis.call('SMEMBERS', key('queues'))
for _, q in ipairs(queues) do
  local n = promote_due(q, budget)
  if n == budget then more = 1 end
  promoted = promoted + n
end
local leases = redis.call('ZRANGEBYLEX', key('leases'), '-', '(' .. NOW .. '\255',
                          'LIMIT', 0, budget)
if #leases == budget then more = 1 end
for _, m in ipairs(leases) do
  local id = sub(m, 9)
  local t = task(id)
  unindex(id, t)
  if tonumber(t.at) >= tonumber(t.ma) then
    put(id, t, 'le', 'lease expired on its last attempt (' .. t.at .. ' attempts): quarantined')
    set_state(id, t, '4')
    quarantined = quarantined + 1
  else
    put(id, t, 'le', 'lease expired: the worker died or stalled')
    -- Redelivered in its original place: it was next in line before.
    make_pending(id, t, NOW, false)
    recovered = recovered + 1
  end
end
for _, q in ipairs(queues) do
  local n = expire_passed(q, budget)
  if n == budget then more = 1 end
  expired = expired + n
end
local old = redis.call('ZRANGEBYLEX', key('done'), '-', '(' .. cutoff .. '\255',
                       'LIMIT', 0, budget)
if #old == budget then more = 1 end
for _, m in ipairs(old) do
  delete_task(sub(m, 9))
  deleted = deleted + 1
end
local excess = redis.call('ZCARD', key('done')) - max_count
if excess > 0 then
  if excess > budget then
    excess = budget
    more = 1
  end
  for _, m in ipairs(redis.call('ZRANGEBYLEX', key('done'), '-', '+', 'LIMIT', 0, excess)) do
    delete_task(sub(m, 9))
    deleted = deleted + 1
  end
end
publish()
return {promoted, recovered, quarantined, expired, deleted, more}
)lua";

// ARGV[3] id, [4] spec JSON (without the template's payload), [5] payload. Keeps the cursor.
constexpr const char* kPutSchedule = R"lua(
redis.call('HSET', key('schedule', ARGV[3]), 'spec', ARGV[4], 'pl', ARGV[5])
redis.call('ZADD', key('schedules'), 0, ARGV[3])
return 0
)lua";

// ARGV[3] id. Returns a code.
constexpr const char* kRemoveSchedule = R"lua(
if redis.call('DEL', key('schedule', ARGV[3])) == 0 then return 1 end
redis.call('ZREM', key('schedules'), ARGV[3])
return 0
)lua";

// ARGV[3] id, [4] T8(due). Moves the cursor forward only. Returns a code.
constexpr const char* kAdvanceSchedule = R"lua(
local sk = key('schedule', ARGV[3])
if redis.call('EXISTS', sk) == 0 then return 1 end
local last = redis.call('HGET', sk, 'ld')
if not last or lt8(last, ARGV[4]) then redis.call('HSET', sk, 'ld', ARGV[4]) end
return 0
)lua";

// Returns {id, spec, payload, T8(last_due) or ''} for every schedule, ascending by id.
constexpr const char* kListSchedules = R"lua(
local out = {}
for _, id in ipairs(redis.call('ZRANGE', key('schedules'), 0, -1)) do
  local v = redis.call('HMGET', key('schedule', id), 'spec', 'pl', 'ld')
  out[#out + 1] = {id, v[1] or '', v[2] or '', v[3] or ''}
end
return out
)lua";

constexpr const char* kBodies[kScriptCount] = {
    kEnqueue, kClaim,    kComplete,    kFail,           kYield,           kHeartbeat,
    kCancel,  kRetry,    kSetQueue,    kPauseQueue,     kQueues,          kProbe,
    kList,    kMaintain, kPutSchedule, kRemoveSchedule, kAdvanceSchedule, kListSchedules};

constexpr const char* kNames[kScriptCount] = {"enqueue",
                                              "claim",
                                              "complete",
                                              "fail",
                                              "yield",
                                              "heartbeat",
                                              "cancel",
                                              "retry",
                                              "set_queue",
                                              "pause_queue",
                                              "queues",
                                              "probe",
                                              "list",
                                              "maintain",
                                              "put_schedule",
                                              "remove_schedule",
                                              "advance_schedule",
                                              "list_schedules"};

// The server no longer has the script (restart, SCRIPT FLUSH, failover).
bool IsNoScript(const Result<Reply>& r) {
  return r.ok() && r->is_error() && r->str.rfind("NOSCRIPT", 0) == 0;
}

}  // namespace

std::string Scripts::Source(Script script) {
  return std::string(kPrelude) + kBodies[static_cast<size_t>(script)];
}

Status Scripts::Load(Connection& conn) {
  for (size_t i = 0; i < kScriptCount; ++i) {
    Result<Reply> r = conn.command({"SCRIPT", "LOAD", Source(static_cast<Script>(i))});
    if (!r.ok()) return r.status();
    if (r->type != Reply::Type::kString) {
      return Status(StatusCode::kInternal,
                    std::string("redis: cannot load script ") + kNames[i] + ": " + r->str);
    }
    sha_[i] = r->str;
  }
  return Status();
}

std::vector<std::string> Scripts::Argv(Script script, const std::vector<std::string>& args) const {
  std::vector<std::string> argv;
  argv.reserve(args.size() + 3);
  argv.insert(argv.end(), {"EVALSHA", sha_[static_cast<size_t>(script)], "0"});
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Result<Reply> Scripts::Checked(Script script, Result<Reply> r) {
  if (!r.ok()) return r.status();
  if (r->is_error()) {
    return Status(
        StatusCode::kInternal,
        std::string("redis: script ") + kNames[static_cast<size_t>(script)] + " failed: " + r->str);
  }
  return r;
}

Result<Reply> Scripts::Run(Connection& conn, Script script,
                           const std::vector<std::string>& args) const {
  std::vector<std::string> argv = Argv(script, args);
  Result<Reply> r = conn.command(argv);
  if (IsNoScript(r)) {
    Result<Reply> loaded = conn.command({"SCRIPT", "LOAD", Source(script)});
    if (!loaded.ok()) return loaded.status();
    r = conn.command(argv);
  }
  return Checked(script, std::move(r));
}

std::vector<Result<Reply>> Scripts::RunAll(
    Connection& conn, Script script, const std::vector<std::vector<std::string>>& calls) const {
  std::vector<Result<Reply>> out;
  out.reserve(calls.size());
  Status sent;
  for (const std::vector<std::string>& args : calls) {
    if (sent.ok()) sent = conn.append(Argv(script, args));
  }
  for (size_t i = 0; i < calls.size(); ++i) out.push_back(sent.ok() ? conn.read() : sent);
  for (size_t i = 0; i < calls.size(); ++i) {
    out[i] = IsNoScript(out[i]) ? Run(conn, script, calls[i]) : Checked(script, std::move(out[i]));
  }
  return out;
}

}  // namespace taskly::redis
