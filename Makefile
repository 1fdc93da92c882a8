# The two commands of the README, plus helpers.
.PHONY: demo test stop build bench

demo:   ## install what is missing, start Postgres, migrate, serve; Ctrl-C stops everything
	scripts/demo.sh

test:   ## the whole test suite against a throwaway PostgreSQL (what CI runs)
	scripts/test.sh

stop:   ## stop a demo running in another terminal
	scripts/demo.sh stop

build:
	swift build

bench:  ## the intake/applier benchmark against a throwaway PostgreSQL (release build, wrk)
	deploy/bench/run.sh
