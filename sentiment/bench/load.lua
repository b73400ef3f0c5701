-- wrk script: POST the request bodies of BODIES_FILE in turn (one JSON or text body per line),
-- stop each thread after its share of REQUESTS responses (it leaves DONE_DIR/<thread id> so the
-- caller can end the run with SIGINT), print a JSON summary at the end.
local bodies_file = os.getenv("BODIES_FILE")
local per_thread = tonumber(os.getenv("REQUESTS_PER_THREAD") or "1000")
local content_type = os.getenv("CONTENT_TYPE") or "application/json"
local done_dir = os.getenv("DONE_DIR")
local bodies, next_body, answered = {}, 1, 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  for line in io.lines(bodies_file) do
    bodies[#bodies + 1] = line
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = content_type
end

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  answered = answered + 1
  if answered == per_thread then
    local marker = io.open(done_dir .. "/" .. id, "w")
    marker:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"p50": %d, "p95": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
