-- wrk script for bench/load.py: counts non-2xx responses in every thread and, when the run is
-- done, prints one line "WRK_JSON {...}" with latency percentiles in milliseconds, requests/s,
-- the request total, the non-2xx count and wrk's socket errors.
--
--   wrk -t2 -c32 -d10s --latency -s bench/wrk_report.lua -H "Cookie: session=..." URL
--
-- wrk's own "Non-2xx or 3xx responses" counts only status >= 400, so a sign-in redirect (302 to
-- /login) would pass unnoticed; this script counts everything outside 200-299.

local threads = {}
local thread_no = 0

function setup(thread)
  thread_no = thread_no + 1
  thread:set("thread_no", thread_no)
  table.insert(threads, thread)
end

function init(args)
  non_2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non_2xx") or 0)
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.3f, "rps": %.2f, '
      .. '"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f, '
      .. '"non_2xx": %d, "socket_errors": %d, "connect_errors": %d, "read_errors": %d, '
      .. '"write_errors": %d, "timeouts": %d, "bytes": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    bad, socket_errors, errors.connect, errors.read, errors.write, errors.timeout,
    summary.bytes
  ))
end
