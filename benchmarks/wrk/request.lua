-- One fixed request, repeated; a summary line for benchmarks/run.py.
--
-- The request comes from the environment: SORA_METHOD (GET), SORA_BODIES
-- (JSON bodies, one a line, optional: each connection sends them in turn)
-- and SORA_TOKEN (an X-Auth-Token, optional). SORA_PATHS (paths, one a
-- line, optional): request k goes to path k mod #paths with body
-- floor(k / #paths) mod #bodies (each pass over the paths sends the next
-- body); thread t of SORA_THREADS sends requests t, t + SORA_THREADS, ...
-- so with #paths a multiple of the threads no two threads share a path.
-- done() prints one line "SORA_WRK {json}" with the request count, the
-- duration, wrk's socket errors, the latency percentiles (microseconds)
-- and the count of each HTTP status seen by every thread.

local method = os.getenv("SORA_METHOD") or "GET"
local token = os.getenv("SORA_TOKEN")
local bodies = {}
for line in string.gmatch(os.getenv("SORA_BODIES") or "", "[^\n]+") do
   table.insert(bodies, line)
end
local paths = {}
for line in string.gmatch(os.getenv("SORA_PATHS") or "", "[^\n]+") do
   table.insert(paths, line)
end
local nthreads = tonumber(os.getenv("SORA_THREADS") or "1")

wrk.method = method
wrk.headers["Accept"] = "application/json"
if #bodies > 0 then
   wrk.body = bodies[1]
   wrk.headers["Content-Type"] = "application/json"
end
if token ~= nil and token ~= "" then
   wrk.headers["X-Auth-Token"] = token
end

-- One body: wrk's prebuilt request. Several: format each in turn.
if #paths > 0 then
   local sent = 0
   function request()
      -- tid: this thread's number from 0, set by setup().
      local k = sent * nthreads + tid
      sent = sent + 1
      local body = nil
      if #bodies > 0 then
         body = bodies[math.floor(k / #paths) % #bodies + 1]
      end
      return wrk.format(nil, paths[k % #paths + 1], nil, body)
   end
elseif #bodies > 1 then
   local sent = 0
   function request()
      sent = sent + 1
      return wrk.format(nil, nil, nil, bodies[(sent - 1) % #bodies + 1])
   end
end

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   statuses = {}
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      local seen = thread:get("statuses") or {}
      for code, n in pairs(seen) do
         counts[code] = (counts[code] or 0) + n
      end
   end
   local parts = {}
   for code, n in pairs(counts) do
      table.insert(parts, string.format('"%d": %d', code, n))
   end
   local e = summary.errors
   io.write(string.format(
      'SORA_WRK {"requests": %d, "duration_us": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, ' ..
      '"status": %d, "timeout": %d}, ' ..
      '"latency_us": {"p50": %d, "p95": %d, "p99": %d, ' ..
      '"max": %d, "mean": %.1f}, "statuses": {%s}}\n',
      summary.requests, summary.duration,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(95),
      latency:percentile(99), latency.max, latency.mean,
      table.concat(parts, ", ")))
end
