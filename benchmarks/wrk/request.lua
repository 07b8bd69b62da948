-- One fixed request, repeated; a summary line for benchmarks/run.py.
--
-- The request comes from the environment: SORA_METHOD (GET), SORA_BODIES
-- (JSON bodies, one a line, optional: each connection sends them in turn)
-- and SORA_TOKEN (an X-Auth-Token, optional).
-- done() prints one line "SORA_WRK {json}" with the request count, the
-- duration, wrk's socket errors, the latency percentiles (microseconds)
-- and the count of each HTTP status seen by every thread.

local method = os.getenv("SORA_METHOD") or "GET"
local token = os.getenv("SORA_TOKEN")
local bodies = {}
for line in string.gmatch(os.getenv("SORA_BODIES") or "", "[^\n]+") do
   table.insert(bodies, line)
end

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
if #bodies > 1 then
   local sent = 0
   function request()
      sent = sent + 1
      return wrk.format(nil, nil, nil, bodies[(sent - 1) % #bodies + 1])
   end
end

local threads = {}

function setup(thread)
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
