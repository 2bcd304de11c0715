-- paths.lua — wrk script for tests/perf/bench.sh.
--   wrk ... -s paths.lua http://HOST:PORT -- PATHS_FILE
-- Every request is a GET of a path picked at random (uniformly) from PATHS_FILE (one path a
-- line, e.g. /api/v1/rest/dataset/A41000000G-000001). The same file drives our server and
-- nginx, so both see the same request mix. At the end one machine-readable line is printed:
--   BENCH_RESULT requests=.. duration_us=.. bytes=.. connect=.. read=.. write=.. status=..
--                timeout=.. p50_us=.. p90_us=.. p99_us=.. p999_us=.. max_us=.. mean_us=..
-- (status = responses with a status >= 400, which wrk prints as "Non-2xx or 3xx responses").
--
-- Writes (tests/perf/bench_write.sh): -- PATHS_FILE BODY_FILE KEYS [HEADER...] makes every request
-- a POST of BODY_FILE's text (JSON) in which each "{N}" becomes a text no other request has
-- (a random number per run and thread, the thread, a counter) and every "{K}" one number picked at
-- random in 1..KEYS; HEADERs are "Name: value" lines added to Content-Type: application/json.

local paths = {}
local nthreads = 0
local body, keys, counter, run = nil, 1, 0, 0
local headers = {["Content-Type"] = "application/json"}

function setup(thread)
    nthreads = nthreads + 1
    thread:set("tid", nthreads)
end

function init(args)
    local file = args[1] or error("paths.lua: give the paths file after --")
    for line in io.lines(file) do
        if #line > 0 then
            paths[#paths + 1] = line
        end
    end
    if #paths == 0 then
        error("paths.lua: no paths in " .. file)
    end
    math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
    if args[2] then
        local f = io.open(args[2], "rb") or error("paths.lua: cannot read " .. args[2])
        body = f:read("*a")
        f:close()
        keys = tonumber(args[3] or "1")
        run = math.random(1000000000) -- names of an earlier run (a warm-up) are not met again
        for i = 4, #args do
            local k, v = args[i]:match("^([^:]+):%s*(.*)$")
            headers[k] = v
        end
        return
    end
    -- pre-format the requests once: request() then costs wrk a table lookup
    local reqs = {}
    for i, p in ipairs(paths) do
        reqs[i] = wrk.format("GET", p)
    end
    paths = reqs
end

function request()
    if not body then
        return paths[math.random(#paths)]
    end
    counter = counter + 1
    local n = string.format("%d-%d-%d", run, tid or 0, counter)
    local b = body:gsub("{N}", n):gsub("{K}", tostring(math.random(keys)))
    return wrk.format("POST", paths[math.random(#paths)], headers, b)
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH_RESULT requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d " ..
        "timeout=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d mean_us=%.1f\n",
        summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
        e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency:percentile(99.9), latency.max, latency.mean))
end
