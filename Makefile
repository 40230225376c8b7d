# gemini: a toolkit for the Gemini protocol. `make help` lists the targets.
#
# Deno: the `deno` on PATH when it is 2.9.6 or newer, else the pinned version installed from
# npm into .deno/ (git-ignored) by tools/ensure-deno.sh. A fresh machine needs make and npm.

SHELL := /bin/sh
DENO := $(shell tools/ensure-deno.sh)
ifeq ($(DENO),)
$(error could not find or install Deno; see tools/ensure-deno.sh)
endif

VERSION := $(shell sed -n 's/^  "version": "\(.*\)",/\1/p' deno.json)
DIST := dist
# Narrow permissions for the run modes: network, the files the tool keeps, and the
# environment it reads (the compiled binaries; `make serve` goes through ./gemini, which
# narrows `serve` to its configuration). `serve` also reads the capsule and may spawn CGI.
RUN_PERMS := --allow-net --allow-read --allow-write --allow-env --allow-sys --allow-run
# Deno.listenTls shares a port between `serve --workers` only with --unstable-net; serve
# workers get only the permissions their configuration needs with --unstable-worker-options
# (README, "Permission sandbox"). A 2 MiB young generation keeps a flooded server small
# (README, "Hostile clients").
UNSTABLE := --unstable-net --unstable-worker-options --v8-flags=--max-semi-space-size=2,--expose-gc
TEST_FLAGS ?=
# The entry points of deno.json's `exports`. Each is doc-linted on its own, so a type that
# one of them names must be exported by that one (tests/surface_test.ts lists their names).
ENTRY_POINTS := mod.ts cli.ts lib/protocol/mod.ts lib/gemtext/mod.ts lib/tls/mod.ts \
	lib/client/mod.ts lib/server/mod.ts lib/server/config/mod.ts
TARGETS := x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin \
	aarch64-apple-darwin x86_64-pc-windows-msvc

.PHONY: help check fmt test test-unit bundle bundle-smoke compile serve bench bench-server bench-footprint soak clean

help:
	@echo "make check         format check, lint, type check, doc lint of each entry point (fast)"
	@echo "make test          check + every test + bundle smoke test (what CI runs)"
	@echo "make fmt           format the sources"
	@echo "make bundle        one JS file in $(DIST)/gemini.js that 'deno run' executes"
	@echo "make compile       single binaries for 5 targets in $(DIST)/ (needs internet)"
	@echo "make serve         serve the default capsule on localhost:1965"
	@echo "make bench         client and parser benchmarks"
	@echo "make bench-server  server benchmark against molly-brown; writes bench/RESULTS.md"
	@echo "make bench-footprint  idle and peak RSS of gemini serve DIR; writes bench/FOOTPRINT.md"
	@echo "make soak          gemini serve under floods, idle sockets, a pusher and fuzzing, on both"
	@echo "                   backends (~15 min); writes bench/SOAK.md. SOAK_BACKENDS=node,"
	@echo "                   SOAK_ATTACKS=fuzz,pusher and SOAK_SCALE=0.1 run a part"

check:
	$(DENO) fmt --check
	$(DENO) lint
	$(DENO) check cli.ts mod.ts lib/ tests/ bench/ examples/ tools/
	$(DENO) run --allow-read tools/check-doc-examples.ts mod.ts cli.ts lib/ examples/
	@for entry in $(ENTRY_POINTS); do \
	  echo "$(DENO) doc --lint $$entry"; $(DENO) doc --lint $$entry || exit 1; \
	done

fmt:
	$(DENO) fmt

test: check test-unit bundle-smoke

test-unit:
	$(DENO) test --allow-all $(UNSTABLE) --doc $(TEST_FLAGS) mod.ts lib/ tests/ examples/

$(DIST)/gemini.js: deno.json $(wildcard deno.lock) cli.ts mod.ts $(shell find lib examples -type f 2>/dev/null)
	@mkdir -p $(DIST)
	$(DENO) bundle --quiet --platform=deno -o $@ cli.ts

bundle: $(DIST)/gemini.js

bundle-smoke: bundle
	GEMINI_BUNDLE=$(CURDIR)/$(DIST)/gemini.js $(DENO) test --allow-all tests/integration/bundle_smoke.ts

# deno compile downloads Deno's runtime (denort) for each target from the internet, so this
# target needs a release machine with internet access; CI here proves the single artifact
# with `make bundle` instead.
compile:
	@mkdir -p $(DIST)
	@for t in $(TARGETS); do \
	  echo "compiling gemini for $$t"; \
	  $(DENO) compile $(RUN_PERMS) $(UNSTABLE) --include lib/cli/serve_worker.ts --target $$t --output $(DIST)/gemini-$(VERSION)-$$t cli.ts || exit 1; \
	done

# ./gemini starts serve with the permissions its configuration needs (README, "Permission sandbox").
serve:
	./gemini serve

bench:
	$(DENO) bench --allow-all bench/

bench-server:
	$(DENO) run --allow-all bench/server_compare.ts

bench-footprint:
	$(DENO) run --allow-all $(UNSTABLE) bench/footprint.ts

soak:
	$(DENO) run --allow-all bench/soak.ts

clean:
	rm -rf $(DIST) coverage bench/.work
