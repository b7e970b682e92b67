# trustgate — the two commands a fresh machine needs are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/trustgate

.PHONY: run test build web web-deps go-test race web-test e2e chromium vet lint fuzz vulncheck generate check-generated migrations clean

## run: build the web app and the server, then serve on the embedded SQLite in dev mode
run: build
	TRUSTGATE_DEV=true TRUSTGATE_LOG_FORMAT=text ./$(BIN) serve

## test: every test — vet, Go tests on SQLite and PostgreSQL, web unit tests, browser end-to-end tests
test: web vet go-test web-test e2e

build: web
	$(GO) build -o $(BIN) ./cmd/trustgate

web-deps: web/node_modules/.package-lock.json

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web: web-deps
	cd web && npm run build

vet:
	$(GO) vet ./...

# The PostgreSQL tests fail, rather than skip, when no PostgreSQL server binaries are found
# (TRUSTGATE_REQUIRE_POSTGRES=0 make test lets them skip on a machine without them).
go-test:
	TRUSTGATE_REQUIRE_POSTGRES=$${TRUSTGATE_REQUIRE_POSTGRES:-1} $(GO) test -count=1 -timeout 20m ./...

## race: the Go tests again under the race detector (CI runs it after make test)
race:
	TRUSTGATE_REQUIRE_POSTGRES=$${TRUSTGATE_REQUIRE_POSTGRES:-1} $(GO) test -race -count=1 -timeout 30m ./...

web-test: web-deps
	cd web && npm test

## lint: staticcheck over the hand-written packages (ent/ is generated)
lint:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $$($(GO) list ./... | grep -v -E '/ent(/|$$)')

## fuzz: every fuzz target for FUZZTIME each (default 10s)
fuzz:
	./.ci/fuzz

## vulncheck: govulncheck (needs the vulnerability database at vuln.go.dev)
vulncheck:
	$(GO) run golang.org/x/vuln/cmd/govulncheck@v1.9.0 ./...

## e2e: the hosted pages and dashboard in headless Chromium against a real trustgate serve
e2e: build chromium
	cd web && TRUSTGATE_BIN=$(CURDIR)/$(BIN) npm run e2e

# Debian's Chromium drives the e2e tests (no browser download); installed when missing.
chromium:
	@command -v chromium >/dev/null || { echo "installing chromium (apt)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## generate: regenerate ent, entgql and gqlgen code
generate:
	$(GO) generate ./...

## check-generated: fail when the committed generated code is stale
check-generated: generate
	@git diff --exit-code --stat -- ent graph gqlgen.yml || { echo "generated code is stale: run 'make generate' and commit"; exit 1; }

## migrations: write a new versioned migration after an ent/schema change (NAME=...)
migrations:
	$(GO) run ./cmd/migrategen -name $(or $(NAME),change)

clean:
	rm -rf bin web/dist/assets web/dist/index.html
