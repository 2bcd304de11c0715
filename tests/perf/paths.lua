-- paths.lua — wrk script for tests/perf/bench.sh.
--   wrk ... -s paths.lua http://HOST:PORT -- PATHS_FILE
-- Every request is a GET of a path picked at random (uniformly) from PATHS_FILE (one path a
-- line, e.g. /api/v1/rest/dataset/A41000000G-000001). The same file drives our server and
-- nginx, so both see the same request mix. At the end one machine-readable line is printed:
--   BENCH_RESULT requests=.. duration_us=.. bytes=.. connect=.. read=.. write=.. status=..
--                timeout=.. p50_us=.. p90_us=.. p99_us=.. p999_us=.. max_us=.. mean_us=..
-- (status = responses with a status >= 400, which wrk prints as "Non-2xx or 3xx responses").

local paths = {}
local nthreads = 0

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
    -- pre-format the requests once: request() then costs wrk a table lookup
    local reqs = {}
    for i, p in ipairs(paths) do
        reqs[i] = wrk.format("GET", p)
    end
    paths = reqs
end

function request()
    return paths[math.random(#paths)]
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
