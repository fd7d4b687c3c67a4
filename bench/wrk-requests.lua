-- wrk script: every request a freshly signed 2 KB Stripe event with a unique id. wrk's Lua has no HMAC, so
-- bench/wrk.ts signs them just before the window (writeSignedRequests), one file per wrk thread: `<prefix>.<n>`.
-- A file's first line is the event body with \1 where the event's id goes and \2 where its timestamp goes; each
-- further line is `<id>\t<t>\t<stripe-signature header>`. Each thread has its own Lua state and sends its file's
-- events in turn, starting over (as replays, counted in `repeated`) only if the window outlasts them.
-- Usage: wrk -t N -c C -d Ds -s bench/wrk-requests.lua URL -- <prefix>
-- done() prints one line `WRK_RESULT {json}`: totals, and the latency quantiles as [percent, us] pairs.

local next_id = 0
local threads = {}

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local parts, marks, lines = {}, {}, {}
local cursor = 0
local wrapped = false
repeated = 0

-- The lines are kept as read and split as they are sent: wrk runs init for one thread while the threads started
-- before it already send, so init stays short.
function init(args)
  local read = io.lines(args[1] .. "." .. id)
  local template = read()
  local pos = 1
  while true do
    local s, _, mark = template:find("([\1\2])", pos)
    if not s then
      parts[#parts + 1] = template:sub(pos)
      break
    end
    parts[#parts + 1] = template:sub(pos, s - 1)
    marks[#marks + 1] = mark
    pos = s + 1
  end
  for line in read do
    lines[#lines + 1] = line
  end
end

local headers = { ["content-type"] = "application/json" }
local pieces = {}

function request()
  cursor = cursor + 1
  if cursor > #lines then
    cursor = 1
    wrapped = true
  end
  if wrapped then
    repeated = repeated + 1
  end
  local event_id, t, signature = lines[cursor]:match("^([^\t]*)\t([^\t]*)\t(.*)$")
  for i = 1, #marks do
    pieces[2 * i - 1] = parts[i]
    pieces[2 * i] = marks[i] == "\1" and event_id or t
  end
  pieces[2 * #marks + 1] = parts[#parts]
  headers["stripe-signature"] = signature
  return wrk.format("POST", nil, headers, table.concat(pieces))
end

-- Quantiles every 0.5% up to 98%, then every 0.01%, then the maximum: enough to merge windows into one p50/p99
-- (bench/wrk.ts). Each percentile() walks the histogram from its minimum, so a dump of every bucket would take
-- seconds; this takes milliseconds.
function done(summary, latency, requests)
  local sent_again = 0
  for _, thread in ipairs(threads) do
    sent_again = sent_again + (thread:get("repeated") or 0)
  end
  local quantiles = {}
  local function add(p, us)
    quantiles[#quantiles + 1] = string.format("[%.2f,%d]", p, us)
  end
  for k = 1, 196 do
    add(k / 2, latency:percentile(k / 2))
  end
  for k = 9801, 9999 do
    add(k / 100, latency:percentile(k / 100))
  end
  add(100, latency.max)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,'
      .. '"repeated":%d,"quantiles":[%s]}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status, sent_again,
    table.concat(quantiles, ",")))
end
