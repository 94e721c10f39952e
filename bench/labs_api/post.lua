-- wrk script: POST the plan in $LABS_PLAN (a JSON file) to the URL given on the command line.
local f = assert(io.open(os.getenv("LABS_PLAN"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
