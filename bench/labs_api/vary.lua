-- wrk script: POST the plan in $LABS_PLAN with a random batch size in every request, so nearly
-- every request is a new evaluation (the reply cache holds 1,024 entries; 1e6 values are drawn).
local f = assert(io.open(os.getenv("LABS_PLAN"), "rb"))
local plan = f:read("*a")
f:close()
local template = plan:gsub('"batch_size": 32', '"batch_size": %%d')
assert(template ~= plan, "plan.json must contain \"batch_size\": 32")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  return wrk.format(nil, nil, nil, string.format(template, math.random(1, 1000000)))
end
