-- wrk script: POST one complete, valid support request per call, each from a different contact,
-- so every request creates a case (no merges). No `response` callback: with one, wrk hands every
-- answer to Lua, load-generator work on the same two cores as the server. wrk counts answers that
-- are not 2xx itself, and run.sh counts the stored cases.
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

request = function()
  counter = counter + 1
  local n = id * 10000000 + counter
  local body = string.format(
    '{"category":"payments","subcategory":"refund","email":"bench%d@gmail.com",' ..
    '"phone":"+39 34%d %07d","device":"iPhone 14, iOS 17.1",' ..
    '"description":"Ho pagato 12 euro ieri sera ma il pagamento risulta fallito e non vedo il rimborso.",' ..
    '"transaction_id":"WA123456789","amount":"12,00 EUR"}', n, id % 10, counter)
  return wrk.format("POST", "/api/v1/requests", {["Content-Type"] = "application/json"}, body)
end

