-- wrk script for bench/token.py: one pre-generated, single-use JWT grant per request.
--
-- Environment (set by bench/token.py):
--   TOKEN_BENCH_GRANTS  file with one form body per line (grant_type=…&assertion=…)
--   TOKEN_BENCH_PATH    request path of the token endpoint, e.g. /maskinporten/token
--   TOKEN_BENCH_OUT     file the summary is written to (one JSON object)
-- With several wrk threads the lines are partitioned: thread i of n takes lines i, i+n, i+2n, …
-- A thread that runs out of grants stops (the run is then bounded by the number of grants).

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("TOKEN_BENCH_PATH")
  local grants = os.getenv("TOKEN_BENCH_GRANTS")
  local stride = tonumber(os.getenv("TOKEN_BENCH_THREADS") or "1")
  local index = 0
  bodies = {}
  for line in io.lines(grants) do
    if index % stride == thread_index then
      bodies[#bodies + 1] = line
    end
    index = index + 1
  end
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = "application/json" }
  token_path = path
  next_body = 1
  sent = 0
  ok = 0
  non200 = 0
  exhausted = 0
  statuses = {}
end

function request()
  local body = bodies[next_body]
  if body == nil then
    exhausted = 1
    wrk.thread:stop()
    -- wrk needs a request even when stopping; an empty form is refused (400) and is not counted.
    return wrk.format("POST", token_path, headers, "")
  end
  next_body = next_body + 1
  sent = sent + 1
  return wrk.format("POST", token_path, headers, body)
end

function response(status, headers, body)
  if exhausted == 1 then
    return
  end
  if status == 200 then
    ok = ok + 1
  else
    non200 = non200 + 1
    local key = tostring(status)
    statuses[key] = (statuses[key] or 0) + 1
    if non200 <= 3 then
      io.stderr:write("non-200 response " .. status .. ": " .. string.sub(body, 1, 300) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local total_ok, total_non200, total_sent, any_exhausted = 0, 0, 0, 0
  local by_status = {}
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_non200 = total_non200 + thread:get("non200")
    total_sent = total_sent + thread:get("sent")
    if thread:get("exhausted") == 1 then
      any_exhausted = 1
    end
    local statuses = thread:get("statuses")
    for code, count in pairs(statuses) do
      by_status[code] = (by_status[code] or 0) + count
    end
  end
  local parts = {}
  for code, count in pairs(by_status) do
    parts[#parts + 1] = string.format('"%s": %d', code, count)
  end
  local out = io.open(os.getenv("TOKEN_BENCH_OUT"), "w")
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "ok": %d, "non200": %d, "sent": %d, "exhausted": %s, '
      .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, '
      .. '"p50_us": %.1f, "p90_us": %.1f, "p99_us": %.1f, "max_us": %.1f, "statuses": {%s}}\n',
    summary.requests, summary.duration, total_ok, total_non200, total_sent,
    any_exhausted == 1 and "true" or "false",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    table.concat(parts, ", ")
  ))
  out:close()
end
