# kaleyra-whatsapp - build, test and demo. `make help` lists the targets.
#
# Honours CC, CFLAGS, LDFLAGS, LUA (interpreter), LUA_INCDIR, LUAJIT_INCDIR
# and PKG_CONFIG. Developer builds use the strict warning set with -Werror.

LUA        ?= lua5.4
LUA_VERSION?= 5.4
PKG_CONFIG ?= pkg-config
LUA_INCDIR ?= $(shell $(PKG_CONFIG) --variable=includedir lua$(LUA_VERSION) 2>/dev/null || echo /usr/include)/lua$(LUA_VERSION)
LUAJIT_INCDIR ?= $(shell $(PKG_CONFIG) --variable=includedir luajit 2>/dev/null || echo /usr/include/luajit-2.1)
BUSTED     ?= busted

WARN    = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wwrite-strings -Werror
CFLAGS ?= -O2 -g
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcurl libcjson libcrypto 2>/dev/null)
DEPS_LIBS   := $(shell $(PKG_CONFIG) --libs libcurl libcjson libcrypto 2>/dev/null || echo -lcurl -lcjson -lcrypto) -lm
ALL_CFLAGS  = -std=c99 -fPIC $(WARN) $(CFLAGS) $(DEPS_CFLAGS)

BUILD   = build
# Every file of src/ops/ is one operation of the registry (src/kwa_op.c).
OPS     = $(patsubst src/%.c,%,$(wildcard src/ops/*.c))
PURE    = kwa_result kwa_utf8 kwa_validate kwa_config kwa_writer kwa_request kwa_response kwa_scan \
          kwa_retry kwa_op $(OPS) kwa_dispatch kwa_callback kwa_callback_event \
          kwa_callback_message kwa_callback_status kwa_callback_auth \
          kwa_flowcrypt kwa_flowcrypt_client kwa_flow_endpoint
CORE    = $(PURE) kwa_loop_epoll kwa_transfer kwa_engine kwa_client
BINDING = kwa_lua kwa_lua_result kwa_lua_json kwa_lua_message kwa_lua_send kwa_lua_codec kwa_lua_ops \
          kwa_lua_many kwa_lua_batch kwa_lua_pump kwa_lua_interrupt kwa_lua_callback \
          kwa_lua_flow
CORE_O  = $(CORE:%=$(BUILD)/%.o)
BIND_O  = $(BINDING:%=$(BUILD)/%.o)
HEADERS = $(wildcard src/*.h)

MODULE  = $(BUILD)/lua/kaleyra/whatsapp/core.so
# The same sources built for LuaJIT (OpenResty, nginx's Lua module): the
# core objects hold no Lua and are shared; the binding is compiled again.
LJ_BUILD  = $(BUILD)/luajit
LJ_BIND_O = $(BINDING:%=$(LJ_BUILD)/%.o)
LJ_MODULE = $(LJ_BUILD)/kaleyra/whatsapp/core.so
LIBKWA  = $(BUILD)/libkwa.a
EXAMPLE = $(BUILD)/send_text $(BUILD)/submit_poll $(BUILD)/call_op

# What a fresh Debian machine needs (installed by `make deps`).
DEBIAN_PACKAGES = build-essential pkg-config lua5.4 liblua5.4-dev lua-busted \
  libcurl4-openssl-dev libcjson-dev luarocks nginx libnginx-mod-http-lua \
  lua-cjson lua-dkjson lua-socket valgrind curl libluajit2-5.1-dev luajit2 openssl \
  lua-argparse lua-check lua-ldoc lua-discount cppcheck libssl-dev

export LUA_PATH  := $(CURDIR)/lua/?.lua;$(CURDIR)/?.lua;$(CURDIR)/?/init.lua;;
export LUA_CPATH := $(CURDIR)/$(BUILD)/lua/?.so;;

.PHONY: all deps test demo sandbox valgrind example rock bench luajit clean help asan fuzz soak
.PHONY: shared install uninstall lint docs docs-check unit unit-asan bench-callbacks

all: $(MODULE) $(LIBKWA) $(EXAMPLE)

help:
	@echo "make deps      install the Debian packages (apt-get; sudo if not root)"
	@echo "make           build the Lua module, libkwa.a and the C example"
	@echo "make test      build and run every spec (busted, Lua 5.4)"
	@echo "make luajit    build the module for LuaJIT/OpenResty: build/luajit/kaleyra/whatsapp/core.so"
	@echo "make demo      send each operation to a local sandbox and print results"
	@echo "make sandbox   run the local Kaleyra stand-in in the foreground"
	@echo "make unit      build and run the C unit tests (test/test_*.c; no Lua)"
	@echo "make unit-asan the C unit tests built with ASan + UBSan"
	@echo "make valgrind  run the unit tests and the specs under valgrind (no leaks, no errors)"
	@echo "make asan      run the specs with ASan + UBSan + LeakSanitizer (build/asan)"
	@echo "make fuzz      run the libFuzzer harnesses, FUZZ_SECONDS each (clang)"
	@echo "make soak      100k messages through send_many with random faults (SOAK_N=)"
	@echo "make rock      install the rock into ./build/tree with luarocks"
	@echo "make install   install kwa.h, libkwa.so/.a and kwa.pc (PREFIX=/usr/local, DESTDIR)"
	@echo "make lint      luacheck the Lua files, cppcheck the C sources"
	@echo "make docs      doc/operations.md, doc/cli-reference.md (from the registry and"
	@echo "               kaleyra-wa --help) and the LDoc reference, in build/docs"
	@echo "make docs-check  fail if the generated doc/ pages differ from the committed ones"
	@echo "make bench     benchmark against the sandbox; writes bench/RESULTS.md"
	@echo "make bench-callbacks  wrk against the nginx callback receiver (10 s): events/s"

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
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fvisibility=hidden -I$(LUA_INCDIR) -c $< -o $@

$(BUILD):
	mkdir -p $(BUILD)/lua/kaleyra/whatsapp

$(MODULE): $(CORE_O) $(BIND_O)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(DEPS_LIBS)

luajit: $(LJ_MODULE)

$(LJ_BUILD)/%.o: src/%.c $(HEADERS)
	@mkdir -p $(LJ_BUILD)/kaleyra/whatsapp
	$(CC) $(ALL_CFLAGS) -fvisibility=hidden -I$(LUAJIT_INCDIR) -c $< -o $@

$(LJ_MODULE): $(CORE_O) $(LJ_BIND_O)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(DEPS_LIBS)

$(LIBKWA): $(CORE:%=$(BUILD)/lib/%.o)
	$(AR) rcs $@ $^

$(BUILD)/lib/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/%: examples/%.c $(LIBKWA)
	$(CC) $(ALL_CFLAGS) -Isrc $< -o $@ $(LIBKWA) $(DEPS_LIBS) -lpthread

# busted runs under $(LUA) itself (not --lua), so a wrapper such as
# valgrind sees the interpreter that loads our module.
BUSTED_RUN = $(LUA) $$(command -v $(BUSTED))

demo: deps all
	$(LUA) sandbox/sandbox --run $(LUA) examples/demo.lua

sandbox: deps
	$(LUA) sandbox/sandbox

# ---- C unit tests: one table-driven file per pure unit (test/test_*.c,
# harness test/unit.h), linked with the pure core only: no Lua, no I/O.
UNIT_DIR   = $(BUILD)/test
UNIT_NAMES = $(patsubst test/test_%.c,%,$(wildcard test/test_*.c))
UNIT_CORE  = $(PURE)
UNIT_BINS  = $(UNIT_NAMES:%=$(UNIT_DIR)/test_%)
UNIT_ASAN  = $(UNIT_NAMES:%=$(UNIT_DIR)/asan/test_%)

$(UNIT_DIR)/test_%: test/test_%.c test/unit.h test/same_tree.h $(UNIT_CORE:%=$(BUILD)/lib/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc $< -o $@ $(UNIT_CORE:%=$(BUILD)/lib/%.o) $(DEPS_LIBS)

$(UNIT_DIR)/asan/test_%: test/test_%.c test/unit.h test/same_tree.h $(UNIT_CORE:%=src/%.c) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) -std=c99 $(WARN) $(ASAN_FLAGS) $(DEPS_CFLAGS) -Isrc $< -o $@ \
	  $(UNIT_CORE:%=src/%.c) $(DEPS_LIBS)

# The C unit tests, then every spec; test/all.sh ends with one line
# "N passed, M failed" summing both.
test: deps all luajit $(UNIT_BINS)
	@bash test/all.sh $(UNIT_BINS) -- $(BUSTED_RUN)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do printf '%s: ' $$t; $$t; done

unit-asan: $(UNIT_ASAN)
	@set -e; for t in $(UNIT_ASAN); do printf '%s: ' $$t; $(ASAN_ENV) $$t; done

VALGRIND = valgrind --quiet --error-exitcode=99 --leak-check=full \
	  --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect

valgrind: deps all luajit $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "valgrind $$t"; $(VALGRIND) $$t; done
	$(VALGRIND) $(BUSTED_RUN)

# luarocks' builtin backend leaves objects in src/ and the module in
# ./kaleyra/; both are removed so they never shadow the build/ module.
rock: deps
	luarocks --lua-version $(LUA_VERSION) make --tree $(BUILD)/tree rockspec/kaleyra-whatsapp-scm-1.rockspec
	rm -rf src/*.o kaleyra

# Installs wrk, python3-requests and curl if missing; ~2.5 minutes on 2 cores.
bench: deps all
	bash bench/run.sh

# The callback receiver under wrk for BENCH_SECONDS (10): events/s, none lost.
bench-callbacks: deps all luajit
	bash bench/callbacks.sh

# ---- sanitizers: the module and a small Lua interpreter (asan/lua.c) built
# with ASan + UBSan, so no LD_PRELOAD leaks into the processes the specs
# start (nginx, sh, openssl). Leak detection is on; asan/lsan.supp lists
# the only leaks allowed, none of them ours.
ASAN_DIR    = $(BUILD)/asan
ASAN_FLAGS  = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer -g -O1
ASAN_SRCS   = $(CORE:%=src/%.c) $(BINDING:%=src/%.c)
ASAN_MODULE = $(ASAN_DIR)/lua/kaleyra/whatsapp/core.so
ASAN_LUA    = $(ASAN_DIR)/lua5.4
ASAN_ENV    = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1 \
              LSAN_OPTIONS=suppressions=$(CURDIR)/asan/lsan.supp:print_suppressions=0 \
              UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
              LUA_CPATH='$(CURDIR)/$(ASAN_DIR)/lua/?.so;;'

$(ASAN_MODULE): $(ASAN_SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) -std=c99 -fPIC $(WARN) $(ASAN_FLAGS) $(DEPS_CFLAGS) -fvisibility=hidden \
	  -I$(LUA_INCDIR) -shared -o $@ $(ASAN_SRCS) $(DEPS_LIBS)

$(ASAN_LUA): asan/lua.c
	@mkdir -p $(dir $@)
	$(CC) -std=c99 $(WARN) $(ASAN_FLAGS) -I$(LUA_INCDIR) -o $@ $< \
	  $$($(PKG_CONFIG) --libs lua$(LUA_VERSION) 2>/dev/null || echo -llua$(LUA_VERSION))

# busted's --cpath goes before .busted's, so the sanitized module is loaded.
asan: deps all luajit $(ASAN_MODULE) $(ASAN_LUA) $(UNIT_ASAN)
	@set -e; for t in $(UNIT_ASAN); do printf '%s: ' $$t; $(ASAN_ENV) $$t; done
	$(ASAN_ENV) $(ASAN_LUA) $$(command -v $(BUSTED)) --cpath='$(CURDIR)/$(ASAN_DIR)/lua/?.so'

# ---- fuzzing: libFuzzer harnesses over the pure core (fuzz/*.c), seeded
# from the API documents' samples (fuzz/corpus/, made by make_corpus.lua).
# New inputs go to build/fuzz/corpus/, crashes to build/fuzz/.
CLANG        ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR      = $(BUILD)/fuzz
FUZZ_NAMES    = response request callback flow_endpoint
FUZZ_CORE     = $(PURE)
FUZZ_FLAGS    = -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined $(WARN) -Isrc $(DEPS_CFLAGS)

$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_CORE:%=src/%.c) $(HEADERS) test/same_tree.h
	@mkdir -p $(FUZZ_DIR)
	@command -v $(CLANG) >/dev/null || { echo "make fuzz needs clang (apt-get install clang libclang-rt-14-dev)"; exit 1; }
	$(CLANG) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_CORE:%=src/%.c) $(DEPS_LIBS)

fuzz: $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
	@set -e; for name in $(FUZZ_NAMES); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$name; \
	  echo "fuzz_$$name: $(FUZZ_SECONDS) s"; \
	  $(FUZZ_DIR)/fuzz_$$name -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/$$name- \
	    $(FUZZ_DIR)/corpus/$$name fuzz/corpus/$$name >$(FUZZ_DIR)/$$name.log 2>&1 \
	    || { tail -n 60 $(FUZZ_DIR)/$$name.log; echo "fuzz_$$name FAILED"; exit 1; }; \
	  grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' $(FUZZ_DIR)/$$name.log; \
	done

# ---- soak: SOAK_N messages (100k) with random faults; see soak/soak.lua.
SOAK_N ?= 100000
soak: deps all
	SOAK_N=$(SOAK_N) $(LUA) soak/soak.lua

# ---- the version, the shared library, make install, lint and the reference.
# The version lives in one place, KWA_VERSION in src/kwa.h. The soname
# carries major.minor while the major is 0 (any 0.x may break the ABI),
# the major after that.
VERSION   := $(shell sed -n 's/.*define KWA_VERSION "\(.*\)".*/\1/p' src/kwa.h)
SOVERSION := $(shell echo $(VERSION) | sed 's/^\(0\.[0-9]*\)\..*/\1/; s/^\([1-9][0-9]*\)\..*/\1/')
SHLIB      = $(BUILD)/libkwa.so.$(VERSION)
KWA_MAP    = $(BUILD)/kwa.map

# Export only what kwa.h declares: a version script made from the header.
$(KWA_MAP): src/kwa.h
	@mkdir -p $(BUILD)
	{ echo 'KWA_$(SOVERSION) {'; echo '  global:'; \
	  sed -n 's/^[a-z].*[ *]\(kwa_[a-z0-9_]*\)(.*/    \1;/p' src/kwa.h; \
	  echo '  local: *;'; echo '};'; } >$@

$(SHLIB): $(CORE:%=$(BUILD)/lib/%.o) $(KWA_MAP)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,libkwa.so.$(SOVERSION) -Wl,--version-script=$(KWA_MAP) \
	  -o $@ $(CORE:%=$(BUILD)/lib/%.o) $(DEPS_LIBS)

shared: $(SHLIB)

PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL      ?= install

# For C users. Lua users install the rock (and the kaleyra-wa command) with
# luarocks: see README.md, "Install".
install: $(SHLIB) $(LIBKWA)
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 src/kwa.h $(DESTDIR)$(INCLUDEDIR)/kwa.h
	$(INSTALL) -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/libkwa.so.$(VERSION)
	ln -sf libkwa.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libkwa.so.$(SOVERSION)
	ln -sf libkwa.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libkwa.so
	$(INSTALL) -m 644 $(LIBKWA) $(DESTDIR)$(LIBDIR)/libkwa.a
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(patsubst $(PREFIX)%,$${prefix}%,$(LIBDIR))' \
	  'includedir=$(patsubst $(PREFIX)%,$${prefix}%,$(INCLUDEDIR))' '' 'Name: kwa' \
	  'Description: Send WhatsApp messages through the Kaleyra WhatsApp API v2 (kaleyra-whatsapp)' \
	  'Version: $(VERSION)' 'Requires: libcjson' 'Requires.private: libcurl libcrypto' \
	  'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lkwa' 'Libs.private: -lm' \
	  >$(DESTDIR)$(PKGCONFIGDIR)/kwa.pc
	@[ -n "$(DESTDIR)" ] || [ "$$(id -u)" != 0 ] || ! command -v ldconfig >/dev/null || ldconfig

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/kwa.h $(DESTDIR)$(LIBDIR)/libkwa.so.$(VERSION) \
	  $(DESTDIR)$(LIBDIR)/libkwa.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libkwa.so \
	  $(DESTDIR)$(LIBDIR)/libkwa.a $(DESTDIR)$(PKGCONFIGDIR)/kwa.pc

# luacheck settings: .luacheckrc. cppcheck without the Lua headers (they
# trip its preprocessor), at the levels that have no false positives here.
LUACHECK ?= luacheck
CPPCHECK ?= cppcheck
LDOC     ?= ldoc
lint: deps
	$(LUACHECK) --quiet lua bin/kaleyra-wa spec sandbox sandbox/sandbox examples tools
	$(CPPCHECK) --quiet --error-exitcode=1 --std=c99 --enable=warning,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem -Isrc src

# doc/operations.md and doc/cli-reference.md derive from the registry
# (src/ops/*.c, through core.ops) and from kaleyra-wa --help: tools/gen_docs.lua
# writes them, docs-check (and spec/96-docs_spec.lua) fails when the
# committed ones differ. LDoc settings in config.ld; the version comes from
# kwa.h. Any LDoc warning fails.
GEN_DOCS = $(LUA) tools/gen_docs.lua
docs: deps $(MODULE)
	$(GEN_DOCS) doc
	$(LDOC) --fatalwarnings -p 'kaleyra-whatsapp $(VERSION)' -t 'kaleyra-whatsapp $(VERSION) reference' .
	@echo "reference: $(BUILD)/docs/index.html"

docs-check: $(MODULE)
	$(GEN_DOCS) --check doc

clean:
	rm -rf $(BUILD)
