# Corral: `make run` and `make test` are the whole quick start on a fresh Debian machine.
# Both install the Debian packages the build needs (when missing), then build.

SWIFT         ?= swift
DEBIAN_DEPS   := libseccomp-dev libcap-dev libsqlite3-dev pkg-config python3 python3-venv curl openssl
SUDO          := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
CORRAL        := .build/debug/corral
TEST_BUNDLE   := .build/debug/corralPackageTests.xctest
# boto3, the aws CLI and awslambdaric, in a venv the server tests drive the server with.
PYCLIENTS     := $(abspath .build/pyclients)
# The VM runner shared by the project (pure cgroup v2 or v1 guests); CI has it at the same relative place.
VM_RUN        ?= $(abspath ../shared/tools/linux-vm-run)

.PHONY: all deps pydeps build release run demo test test-unit test-privileged test-cgroup2 bench clean

all: build

## deps: install missing Debian packages (apt-get)
deps:
	@missing=""; for p in $(DEBIAN_DEPS) $(EXTRA_DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

## run: build the release binary, start `corral serve` on its defaults, deploy examples/ and print how
## to call them (the optimized build users deploy; `make test` runs the debug one with its assertions)
run: release
	$(SUDO) ./scripts/serve-demo.sh .build/release/corral

## demo: what a sandbox looks like from inside (`corral run` with isolation probes)
demo: build
	$(SUDO) ./scripts/demo.sh $(CORRAL)

## pydeps: the real clients the server tests use (boto3, the aws CLI, awslambdaric), from PyPI into a venv
pydeps:
	@$(PYCLIENTS)/bin/python -c 'import boto3, awslambdaric' 2>/dev/null || { \
	  echo "make: installing boto3, awscli and awslambdaric into $(PYCLIENTS)"; \
	  python3 -m venv $(PYCLIENTS) && $(PYCLIENTS)/bin/pip install --quiet boto3 awscli awslambdaric; }

## test: every test: unit tests, the privileged sandbox tests on this host, then on a pure cgroup v2 VM
test: build pydeps
	$(SWIFT) build --build-tests
	$(SUDO) env CI="$$CI" CORRAL_TEST_PYTHON=$(PYCLIENTS)/bin/python $(SWIFT) test --skip-build
	$(MAKE) test-cgroup2

## test-unit: every suite that needs no root (all but CorralPrivilegedTests and CorralServerTests), as the calling user
test-unit: build pydeps
	$(SWIFT) build --build-tests
	env CI="$$CI" CORRAL_TEST_PYTHON=$(PYCLIENTS)/bin/python $(SWIFT) test --skip-build --skip CorralPrivilegedTests --skip CorralServerTests

## test-privileged: the suites that need root (the sandbox probes and the real `corral serve`), on this host
test-privileged: build pydeps
	$(SWIFT) build --build-tests
	$(SUDO) env CI="$$CI" CORRAL_TEST_PYTHON=$(PYCLIENTS)/bin/python $(SWIFT) test --skip-build --filter CorralPrivilegedTests --filter CorralServerTests

## test-cgroup2: the privileged sandbox tests again, inside a throwaway VM whose cgroups are pure v2
test-cgroup2:
	@if [ ! -x "$(VM_RUN)" ]; then \
	  if [ "$$CI" = true ]; then echo "test-cgroup2: $(VM_RUN) is missing" >&2; exit 1; fi; \
	  echo "test-cgroup2: skipped: $(VM_RUN) is not here (set VM_RUN=path/to/linux-vm-run)"; exit 0; fi; \
	test -x $(TEST_BUNDLE) || $(SWIFT) build --build-tests; \
	$(SUDO) ./scripts/run-in-vm.sh "$(VM_RUN)" v2 $(TEST_BUNDLE)

## release: the optimized binary to deploy and to measure, .build/release/corral, with the Swift runtime
## linked in: no /opt/swift libraries needed where it runs, and each sandbox's clone copies far fewer
## mappings (docs/benchmarks.md)
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

## bench: spawn latency against bubblewrap in the same run (installs bubblewrap)
bench: release
	$(MAKE) deps EXTRA_DEPS=bubblewrap
	$(SUDO) .build/release/corral bench spawn

clean:
	rm -rf .build
