# kaleyra-whatsapp - build, test and demo. `make help` lists the targets.
#
# Honours CC, CFLAGS, LDFLAGS, LUA (interpreter), LUA_INCDIR and
# PKG_CONFIG. Developer builds use the strict warning set with -Werror.

LUA        ?= lua5.4
LUA_VERSION?= 5.4
PKG_CONFIG ?= pkg-config
LUA_INCDIR ?= $(shell $(PKG_CONFIG) --variable=includedir lua$(LUA_VERSION) 2>/dev/null || echo /usr/include)/lua$(LUA_VERSION)
BUSTED     ?= busted

WARN    = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wwrite-strings -Werror
CFLAGS ?= -O2 -g
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcurl libcjson 2>/dev/null)
DEPS_LIBS   := $(shell $(PKG_CONFIG) --libs libcurl libcjson 2>/dev/null || echo -lcurl -lcjson) -lm
ALL_CFLAGS  = -std=c99 -fPIC $(WARN) $(CFLAGS) $(DEPS_CFLAGS)

BUILD   = build
CORE    = kwa_result kwa_utf8 kwa_validate kwa_config kwa_request kwa_response \
          kwa_retry kwa_engine kwa_client
BINDING = kwa_lua kwa_lua_json kwa_lua_message kwa_lua_send kwa_lua_codec
CORE_O  = $(CORE:%=$(BUILD)/%.o)
BIND_O  = $(BINDING:%=$(BUILD)/%.o)
HEADERS = $(wildcard src/*.h)

MODULE  = $(BUILD)/lua/kaleyra/whatsapp/core.so
LIBKWA  = $(BUILD)/libkwa.a
EXAMPLE = $(BUILD)/send_text

# What a fresh Debian machine needs (installed by `make deps`).
DEBIAN_PACKAGES = build-essential pkg-config lua5.4 liblua5.4-dev lua-busted \
  libcurl4-openssl-dev libcjson-dev luarocks nginx libnginx-mod-http-lua \
  lua-cjson lua-dkjson lua-socket valgrind curl

export LUA_PATH  := $(CURDIR)/lua/?.lua;$(CURDIR)/?.lua;$(CURDIR)/?/init.lua;;
export LUA_CPATH := $(CURDIR)/$(BUILD)/lua/?.so;;

.PHONY: all deps test demo sandbox valgrind example rock clean help

all: $(MODULE) $(LIBKWA) $(EXAMPLE)

help:
	@echo "make deps      install the Debian packages (apt-get; sudo if not root)"
	@echo "make           build the Lua module, libkwa.a and the C example"
	@echo "make test      build and run every spec (busted, Lua 5.4)"
	@echo "make demo      send each operation to a local sandbox and print results"
	@echo "make sandbox   run the local Kaleyra stand-in in the foreground"
	@echo "make valgrind  run the specs under valgrind (no leaks, no errors)"
	@echo "make rock      install the rock into ./build/tree with luarocks"

# Installs only what is missing, so it is quick when everything is there.
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BUILD)/%.o: src/%.c $(HEADERS) | $(BUILD)
	$(CC) $(ALL_CFLAGS) -fvisibility=hidden -I$(LUA_INCDIR) -c $< -o $@

$(BUILD):
	mkdir -p $(BUILD)/lua/kaleyra/whatsapp

$(MODULE): $(CORE_O) $(BIND_O)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(DEPS_LIBS)

$(LIBKWA): $(CORE:%=$(BUILD)/lib/%.o)
	$(AR) rcs $@ $^

$(BUILD)/lib/%.o: src/%.c $(HEADERS)
	@mkdir -p $(BUILD)/lib
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(EXAMPLE): examples/send_text.c $(LIBKWA)
	$(CC) $(ALL_CFLAGS) -Isrc $< -o $@ $(LIBKWA) $(DEPS_LIBS) -lpthread

# busted runs under $(LUA) itself (not --lua), so a wrapper such as
# valgrind sees the interpreter that loads our module.
BUSTED_RUN = $(LUA) $$(command -v $(BUSTED))

test: deps all
	$(BUSTED_RUN)

demo: deps all
	$(LUA) sandbox/sandbox --run $(LUA) examples/demo.lua

sandbox: deps
	$(LUA) sandbox/sandbox

valgrind: deps all
	valgrind --quiet --error-exitcode=99 --leak-check=full \
	  --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	  $(BUSTED_RUN)

rock: deps
	luarocks --lua-version $(LUA_VERSION) make --tree $(BUILD)/tree rockspec/kaleyra-whatsapp-scm-1.rockspec

clean:
	rm -rf $(BUILD)
