-- Report saves for `scripts/bench`: each wrk thread (one connection) saves its own commune's
-- report through the JSON API, carrying the version each answer returns, so every request is
-- a real save (a stale one would be refused with 409 and counted by wrk as non-2xx).
local threads_made = 0
function setup(thread)
  threads_made = threads_made + 1
  thread:set("idx", threads_made)
end
function init(args)
  cookie = os.getenv("SAVE_COOKIE" .. idx)
  path = os.getenv("SAVE_PATH" .. idx)
  version = 0
  counter = 0
end
function request()
  counter = counter + 1
  local body = '{"version": ' .. version .. ', "values": {"TD_DINH_KY": "' .. (counter % 997) ..
    '", "DON_TIEP_NHAN": "1.234", "DON_GIAI_QUYET": "' .. (counter % 13) .. '"}}'
  return wrk.format("PUT", path, { ["Cookie"] = cookie, ["Content-Type"] = "application/json" }, body)
end
function response(status, headers, body)
  local v = body:match('"version":(%d+)')
  if v then version = tonumber(v) end
end
