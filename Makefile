# Shortcuts; the README's two commands are the source of truth.
.PHONY: run test bench ci generate

run:  ## run Eventloom with the demo design
	go run ./cmd/eventloom serve

test:  ## the whole test suite (the README's test command)
	go test -race ./...

bench:  ## the throughput benchmark (compare with ../shared/ceiling in the same session)
	go run ./cmd/eventloom bench -duration 10s

generate:  ## regenerate templ components and the front-end bundle
	@if ls templates/*.templ >/dev/null 2>&1; then go tool templ generate; fi
	@if [ -f package.json ]; then npm ci --ignore-scripts && go generate ./static/...; fi

ci:  ## what CI runs
	./.ci/run
