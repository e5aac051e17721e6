-- sandbox/standin_account.lua: the one fake Kaleyra account the stand-in knows, and the magic
-- values that make it answer each documented failure.
-- Plain data that loads in LuaJIT inside nginx (standin.lua) and in Lua 5.4 (launcher.lua), so the
-- server and its clients read one copy. None of this is secret; sandbox/README.md lists it all.
return {
  -- What a client needs to send a request that succeeds.
  credentials = {
    sid = "HXAP16XXXXXX97IN",
    api_key = "A0000000000000000000000000000003",
    from = "+918000000001",
  },
  -- Values that trigger each documented answer other than success.
  magic = {
    to = "+919000000001",                   -- an ordinary recipient: 202
    to_low_balance = "+910000000110",       -- 400 E110
    to_server_error = "+910000000500",      -- 500 WA500
    to_bad_payload = "+910000000400",       -- 400 WA400 although the payload is well-formed
    -- with a callback URL (sandbox/README.md, "Callbacks"): what is called back
    to_failed = "+919000000131",            -- 202, then callbacks sent and failed (131026)
    to_not_sent = "+919000000132",          -- 202, then a NOT-SENT callback (WAV2101)
    to_flow_reply = "+919000000200",        -- a Flow message: then sent, delivered, read and nfm_reply
    to_daily_limit = "+910000002101",       -- 429 WAV2101 account daily limit (status inferred)
    to_throttled = "+910000130429",         -- 400 WA400 carrying Meta's 130429 (shape inferred)
    from_other_version = "+918000000002",   -- 401 WA-401 (number on another API version)
    sid_no_api = "HXAP16XXXXXX97NA",        -- 401 WA-401 (account without API access)
    flow_id = "1120000000000207",           -- publishes: 200 {"success": true}
    flow_id_unknown = "1120000000000404",   -- 401 WA-401 (flow_id not in this account)
    flow_id_server_error = "1120000000000500", -- 500 WA-500
    flow_id_bad_payload = "1120000000000400",  -- 400 WA-400
  },
  -- The approved templates: what each one's placeholders need. A template send whose name is not
  -- here, or whose parameters do not match, answers 400 WA400 (as Kaleyra does when Meta refuses).
  -- header: the one header parameter's type (nil: no header parameter); body: how many body
  -- parameters; buttons: the sub_type of the button at each index that takes a parameter.
  templates = {
    hello_world = { body = 0 },
    order_update = { body = 3 },
    order_shipped = { header = "image", body = 2, buttons = { "quick_reply" } },
    shipping_banner = { header = "image", body = 1 },
    invoice_ready = { header = "document", body = 2 },
    store_location = { header = "location", body = 0 },
    feedback = { header = "text", body = 1, buttons = { "quick_reply", "quick_reply" } },
    otp_code = { body = 1, buttons = { "url" } },
    coupon_offer = { body = 1, buttons = { "copy_code" } },
    track_order = { body = 1, buttons = { [2] = "url" } },
    booking_flow = { body = 0, buttons = { "flow" } },
  },
}
