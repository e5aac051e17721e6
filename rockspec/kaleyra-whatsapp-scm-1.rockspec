-- kaleyra-whatsapp rock: the C core and its Lua binding, built by luarocks'
-- builtin backend. libcurl and cJSON are found by library (Debian keeps
-- curl/curl.h in a multiarch directory that luarocks does not search, but
-- the compiler does).
rockspec_format = "3.0"
package = "kaleyra-whatsapp"
version = "scm-1"
source = {
  url = "git+https://github.com/kaleyra-whatsapp/kaleyra-whatsapp.git",
}
description = {
  summary = "Send WhatsApp messages through Kaleyra's API v2 from Lua or C",
  detailed = [[
    Text, call-to-action URL and WhatsApp Flow messages, and Flow
    publishing, validated before they are sent, over libcurl with TLS
    verification and connection reuse. Lua tables in, Lua tables out.
    Needs libcurl 7.80 or newer and cJSON; POSIX (epoll on Linux, poll(2)
    elsewhere); tested on Linux only.
  ]],
  license = "MIT",
}
dependencies = {
  -- 5.1 covers LuaJIT (OpenResty): luarocks --lua-version 5.1 make ...
  "lua >= 5.1, < 5.5",
}
external_dependencies = {
  CURL = { library = "curl" },
  CJSON = { library = "cjson" },
  CRYPTO = { library = "crypto" },
}
build = {
  type = "builtin",
  modules = {
    ["kaleyra.whatsapp"] = "lua/kaleyra/whatsapp.lua",
    ["kaleyra.whatsapp.transport"] = "lua/kaleyra/whatsapp/transport.lua",
    ["kaleyra.whatsapp.ngx"] = "lua/kaleyra/whatsapp/ngx.lua",
    ["kaleyra.whatsapp.receiver"] = "lua/kaleyra/whatsapp/receiver.lua",
    ["kaleyra.whatsapp.flow"] = "lua/kaleyra/whatsapp/flow.lua",
    -- the kaleyra-wa command (Lua 5.3+; argparse from Debian's lua-argparse)
    ["kaleyra.whatsapp.cli.args"] = "lua/kaleyra/whatsapp/cli/args.lua",
    ["kaleyra.whatsapp.cli.bulk"] = "lua/kaleyra/whatsapp/cli/bulk.lua",
    ["kaleyra.whatsapp.cli.callbacks"] = "lua/kaleyra/whatsapp/cli/callbacks.lua",
    ["kaleyra.whatsapp.cli.csv"] = "lua/kaleyra/whatsapp/cli/csv.lua",
    ["kaleyra.whatsapp.cli.flows"] = "lua/kaleyra/whatsapp/cli/flows.lua",
    ["kaleyra.whatsapp.cli.input"] = "lua/kaleyra/whatsapp/cli/input.lua",
    ["kaleyra.whatsapp.cli.journal"] = "lua/kaleyra/whatsapp/cli/journal.lua",
    ["kaleyra.whatsapp.cli.main"] = "lua/kaleyra/whatsapp/cli/main.lua",
    ["kaleyra.whatsapp.cli.message"] = "lua/kaleyra/whatsapp/cli/message.lua",
    ["kaleyra.whatsapp.cli.ops"] = "lua/kaleyra/whatsapp/cli/ops.lua",
    ["kaleyra.whatsapp.cli.output"] = "lua/kaleyra/whatsapp/cli/output.lua",
    ["kaleyra.whatsapp.cli.progress"] = "lua/kaleyra/whatsapp/cli/progress.lua",
    ["kaleyra.whatsapp.cli.status"] = "lua/kaleyra/whatsapp/cli/status.lua",
    ["kaleyra.whatsapp.core"] = {
      sources = {
        "src/kwa_result.c", "src/kwa_utf8.c", "src/kwa_validate.c",
        "src/kwa_config.c", "src/kwa_writer.c", "src/kwa_request.c", "src/kwa_response.c",
        "src/kwa_scan.c",
        "src/kwa_retry.c", "src/kwa_engine.c", "src/kwa_client.c",
        "src/kwa_op.c", "src/kwa_dispatch.c", "src/kwa_transfer.c",
        "src/kwa_loop_epoll.c",
        "src/kwa_lua.c", "src/kwa_lua_json.c", "src/kwa_lua_message.c",
        "src/kwa_lua_result.c", "src/kwa_lua_send.c", "src/kwa_lua_codec.c", "src/kwa_lua_ops.c",
        "src/kwa_lua_many.c", "src/kwa_lua_batch.c", "src/kwa_lua_pump.c",
        "src/kwa_lua_interrupt.c", "src/kwa_lua_callback.c",
        "src/kwa_callback.c", "src/kwa_callback_event.c",
        "src/kwa_callback_message.c", "src/kwa_callback_status.c",
        "src/kwa_callback_auth.c",
        "src/kwa_flowcrypt.c", "src/kwa_flowcrypt_client.c", "src/kwa_flow_endpoint.c",
        "src/kwa_lua_flow.c",
        -- the registry's operations, one file each (builtin takes no globs)
        "src/ops/text.c",
        "src/ops/cta_url.c",
        "src/ops/flow.c",
        "src/ops/raw.c",
        "src/ops/publish.c",
        "src/ops/mark_read.c",
        "src/ops/location.c",
        "src/ops/reaction.c",
        "src/ops/media.c",
        "src/ops/buttons.c",
        "src/ops/list.c",
        "src/ops/template.c",
        "src/ops/upload.c",
        "src/ops/create_flow.c",
        "src/ops/update_flow.c",
        "src/ops/upload_flow_json.c",
        "src/ops/get_flow.c",
        "src/ops/list_flows.c",
        "src/ops/deprecate_flow.c",
        "src/ops/delete_flow.c",
        "src/ops/get_flows_public_key.c",
        "src/ops/set_flows_public_key.c",
      },
      libraries = { "curl", "cjson", "crypto", "m" },
      incdirs = { "src", "$(CJSON_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)", "$(CJSON_LIBDIR)", "$(CRYPTO_LIBDIR)" },
    },
  },
  install = {
    bin = { ["kaleyra-wa"] = "bin/kaleyra-wa" },
  },
  -- `kaleyra-wa sandbox` runs the local stand-in from the rock's directory
  copy_directories = { "sandbox" },
}
