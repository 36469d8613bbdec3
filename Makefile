# The README's two commands: `make run` and `make test`. Each builds what
# is missing first (npm packages from the lockfile, the console's bundle,
# Chromium for the browser tests) and skips what is up to date.
.PHONY: run test build bench ci generate chromium cluster

# npm ci writes node_modules/.package-lock.json: newer than the lockfile
# means the packages are installed.
NPM_STAMP := node_modules/.package-lock.json
# go generate ./static/... builds static/dist; this stamp marks it done.
BUNDLE_STAMP := static/dist/.built
BUNDLE_SRC := $(wildcard static/src/*.js) static/static.go $(NPM_STAMP)
ARGS ?=

run: build  ## run Eventloom with the demo design (extra flags: make run ARGS="--retry-unit 1s")
	./eventloom serve $(ARGS)

build: $(BUNDLE_STAMP)  ## the eventloom binary, with the console bundle embedded
	go build -o eventloom ./cmd/eventloom

test: $(BUNDLE_STAMP) chromium  ## the whole test suite
	go test -race -timeout 45m ./...

cluster: build  ## three NATS JetStream servers and three Eventloom nodes on loopback (consoles on :8081-8083; Ctrl-C stops all)
	go build -o eventloom-cluster ./cmd/eventloom-cluster
	./eventloom-cluster $(ARGS)

bench: build  ## the throughput benchmark (compare with ../shared/ceiling in the same session)
	./eventloom bench -duration 10s

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "make: npm is missing: install Node 20 with npm (https://nodejs.org or your package manager), then run make again" >&2; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

$(BUNDLE_STAMP): $(BUNDLE_SRC)
	go generate ./static/...
	@touch $@

# Chromium drives the browser tests. Root on Debian/Ubuntu gets it
# installed; anyone else is told what to install (the browser tests are
# then skipped locally, and fail in CI).
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Chromium for the browser tests (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	else \
		echo "NOTE: the browser tests need Chromium at /usr/bin/chromium. Install it (Debian/Ubuntu: sudo apt-get install chromium) and run make test again; until then they are skipped here (and fail in CI)."; \
	fi

generate: $(NPM_STAMP)  ## regenerate templ components and the front-end bundle
	go tool templ generate
	go generate ./static/...
	@touch $(BUNDLE_STAMP)

ci:  ## what CI runs
	./.ci/run
