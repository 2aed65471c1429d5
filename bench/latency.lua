-- wrk script of bench/latency.py: logged-in patients saving and reading their diary.
--
--   wrk -t2 -c32 -d10s -s bench/latency.lua http://127.0.0.1:PORT -- \
--       SESSIONS_FILE SCENARIO DATES CAP THREADS
--
-- SESSIONS_FILE has one "sessionid csrftoken" line per logged-in patient. Thread n
-- takes every THREADS-th line from line n, and each request takes the thread's next
-- session in turn, so one patient never has two requests in flight (a thread has
-- fewer connections than sessions). SCENARIO is save (PUT a day), read (GET the
-- latest 28 days), mixed (alternately), or a baseline of bench/server.py: base_read
-- (a one-row read), base_write (a one-row insert), bare (a one-row read, no middleware). DATES are the days a save may pick,
-- comma-separated. A thread stops after CAP responses (the count bound; -d is
-- the time bound). The result is printed as one line: WRK_JSON {...}.
--
-- The requests come as through the TLS proxy of docs/production.md
-- (X-Forwarded-Proto: https), so the server runs its production settings unchanged.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local sessions = {}
local scenario, dates, cap
received = 0
sent = 0
statuses = {}

function init(args)
  local path, nthreads = args[1], tonumber(args[5])
  scenario, cap = args[2], tonumber(args[4])
  dates = {}
  for date in string.gmatch(args[3], "[^,]+") do
    table.insert(dates, date)
  end
  local n = 0
  for line in io.lines(path) do
    if n % nthreads == id then
      local sid, csrf = string.match(line, "^(%S+) (%S+)$")
      table.insert(sessions, { cookie = "sessionid=" .. sid .. "; csrftoken=" .. csrf, csrf = csrf })
    end
    n = n + 1
  end
  if #sessions == 0 then
    error("no sessions for thread " .. id)
  end
  math.randomseed(1000 + id)
end

local intensities = { "mild", "moderate", "severe" }

local function day_body()
  local hours = math.random(0, 16) / 2
  if hours == 0 then
    return '{"headache_hours": 0}'
  end
  local medicines = ""
  if math.random() < 0.5 then
    medicines = ', "acute_medications": [{"name": "sumatriptan", "class": "triptan", "effective": true}]'
  end
  return string.format(
    '{"headache_hours": %.1f, "peak_intensity": "%s", "unilateral": %s, "pulsating": true, '
      .. '"nausea": %s, "photophobia": true%s}',
    hours,
    intensities[math.random(#intensities)],
    tostring(math.random() < 0.5),
    tostring(math.random() < 0.5),
    medicines
  )
end

function request()
  sent = sent + 1
  local s = sessions[(sent - 1) % #sessions + 1]
  local kind = scenario
  if scenario == "mixed" then
    kind = (sent % 2 == 0) and "save" or "read"
  end
  local headers = { ["Cookie"] = s.cookie, ["X-Forwarded-Proto"] = "https" }
  if kind == "save" or kind == "base_write" then
    headers["Content-Type"] = "application/json"
    headers["X-CSRFToken"] = s.csrf
    headers["Referer"] = "https://" .. wrk.host .. ":" .. wrk.port .. "/"
    if kind == "base_write" then
      return wrk.format("POST", "/bench/write", headers, "{}")
    end
    local date = dates[math.random(#dates)]
    return wrk.format("PUT", "/api/me/diary/" .. date, headers, day_body())
  end
  if kind == "base_read" then
    return wrk.format("GET", "/bench/read", headers)
  end
  if kind == "bare" then
    return wrk.format("GET", "/bench/bare", headers)
  end
  return wrk.format("GET", "/api/me/diary", headers)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  received = received + 1
  if received >= cap then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local counts, unanswered = {}, 0
  for _, thread in ipairs(threads) do
    unanswered = unanswered + thread:get("sent") - thread:get("received")
    for status, n in pairs(thread:get("statuses")) do
      counts[#counts + 1] = string.format('{"%d": %d}', status, n)
    end
  end
  local e = summary.errors
  io.write(
    string.format(
      'WRK_JSON {"requests": %d, "unanswered": %d, "duration_us": %d, "statuses": [%s], '
        .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
        .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
      summary.requests,
      unanswered,
      summary.duration,
      table.concat(counts, ", "),
      e.connect,
      e.read,
      e.write,
      e.status,
      e.timeout,
      latency:percentile(50),
      latency:percentile(90),
      latency:percentile(99),
      latency.max,
      latency.mean
    )
  )
end
