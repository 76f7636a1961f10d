-- wrk script for bench/serve.sh: POST the file named by the environment variable MN_BENCH_BODY.
local f = assert(io.open(os.getenv("MN_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
