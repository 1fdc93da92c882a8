# The two commands of the README, plus helpers.
.PHONY: demo test stop build bench bench-api bench-footprint faults fuzz

demo:   ## install what is missing, start Postgres, migrate, serve; Ctrl-C stops everything
	scripts/demo.sh

test:   ## the whole test suite against a throwaway PostgreSQL (what CI runs)
	scripts/test.sh

stop:   ## stop a demo running in another terminal
	scripts/demo.sh stop

build:
	swift build

bench:  ## the intake/applier benchmark, then chaining latency (release build, wrk, the emulator)
	deploy/bench/run.sh
	deploy/bench/chaining.sh

bench-api: ## the REST API list queries over 10M notifications and 1M steps (p50/p99, EXPLAIN of each)
	deploy/bench/api-queries.sh

bench-footprint: ## start-up time to /readyz and idle memory of mpshook serve (release build)
	deploy/bench/footprint.sh

faults: ## the fault suite: kill -9, PostgreSQL stopped and stalled, hostile clients, fuzz regression (release build)
	deploy/faults/run.sh

fuzz:   ## 10 million executions per fuzz target, two targets at a time (about 30 minutes on 2 cores)
	deploy/faults/fuzz.sh --regression --runs $${FUZZ_RUNS:-10000000} --jobs 2 --fast-jobs --report .local/faults/fuzz-report.md
