-- wrk script of bench/tokens.py: every request is the same token request (POST, form body,
-- HTTP Basic client authentication), taken from the environment:
--   BENCH_BODY="grant_type=client_credentials&scope=..." BENCH_AUTHORIZATION="Basic ..." \
--   wrk -t1 -c8 -d10s --timeout 30s --latency -s bench/wrk_token.lua http://127.0.0.1:8000/...
-- A response counts as bad unless it is a 200 whose body holds an access_token. At the end it
-- prints one line, "BENCH {json}", with wrk's counts and latency percentiles in microseconds.

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or ""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("BENCH_AUTHORIZATION")

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

bad = 0
first_bad = ""

function response(status, headers, body)
   if status ~= 200 or not string.find(body, '"access_token"', 1, true) then
      bad = bad + 1
      if first_bad == "" then
         first_bad = status .. " " .. string.sub(body, 1, 200):gsub("%s+", " ")
      end
   end
end

function done(summary, latency, requests)
   local total_bad, first = 0, ""
   for _, thread in ipairs(threads) do
      total_bad = total_bad + thread:get("bad")
      if first == "" then
         first = thread:get("first_bad")
      end
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH {"requests": %d, "duration_us": %d, "bad": %d, "connect": %d, "read": %d, '
         .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, '
         .. '"max_us": %d}\n',
      summary.requests, summary.duration, total_bad, errors.connect, errors.read,
      errors.write, errors.status, errors.timeout, math.floor(latency:percentile(50)),
      math.floor(latency:percentile(99)), math.floor(latency.max)))
   if first ~= "" then
      io.write("BENCH-FIRST-BAD " .. first .. "\n")
   end
end
