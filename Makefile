# browser_rt: `make demo` serves the demo, `make test` runs every suite. Both set up what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
PY          := $(VENV)/bin/python
BUNDLE      := build/bundle
BUNDLE_PROD := build/bundle-production
DIST_DIR    := $(BUNDLE)/pyodide
STAMPS      := build/stamps
PYTEST_RT   := $(VENV)/bin/pytest -p no:cacheprovider -p no:unraisableexception
CHROME_ENV  := SE_OFFLINE=true
DEMO_PORT   ?= 8000
# Each suite the gate draws on stamps its report (commit, changes, bundle: browser-rt gate-record);
# `make gate` takes the tests those reports passed and runs only the rest (docs/security-gate.md).
REPORTS     := artifacts/test-reports
E2E_RUNTIMES := e2e,e2e-firefox,e2e-webkit
record       = $(VENV)/bin/browser-rt gate-record --bundle $(BUNDLE) --report $(REPORTS)/$(1) --format $(2) --runtimes $(3) --

# A host Python >= 3.12 (pyodide-lock needs it): pyenv's choice from .python-version first.
HOST_PYTHON := $(shell for p in "$$(pyenv which python 2>/dev/null)" python3.13 python3.12 python3; do \
  [ -n "$$p" ] && "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; break; }; done)

PY_SOURCES  := $(shell find browser_rt -name '*.py' -o -name '*.mjs' -o -name '*.html' -o -name '*.json' -o -name 'py.typed' 2>/dev/null)
# The wheel also carries js_bridge/ and the Pyodide-side pins (pyproject's force-include), and init's templates.
WHEEL_DATA  := $(shell find js_bridge requirements/pyodide-*.txt browser_rt/tooling/templates -type f 2>/dev/null)

.PHONY: help setup demo test test-host test-node test-chrome test-browser test-js test-e2e lint wheel bundle bundle-production clean

help:
	@echo "make demo   - install everything and serve the demo site"
	@echo "make test   - install everything and run every test suite"
	@echo "make lint   - ruff + mypy --strict"

setup: $(STAMPS)/apt $(STAMPS)/npm $(STAMPS)/venv bundle

# The three engines: Chromium (with its driver), Firefox ESR, and WebKitGTK's WebDriver and
# MiniBrowser, which needs an X server (xvfb-run).
ENGINE_BINARIES := /usr/bin/chromium /usr/bin/chromedriver /usr/bin/firefox-esr /usr/bin/WebKitWebDriver /usr/bin/xvfb-run /usr/bin/xauth
ENGINE_PACKAGES := chromium chromium-driver firefox-esr webkit2gtk-driver xvfb xauth

$(STAMPS)/apt:
	@mkdir -p $(STAMPS)
	@missing=""; for b in $(ENGINE_BINARIES); do [ -x "$$b" ] || missing="$$missing $$b"; done; \
	if [ -z "$$missing" ]; then echo "[setup] chromium, firefox-esr and webkitgtk present"; \
	else echo "[setup] apt-get install $(ENGINE_PACKAGES) (missing:$$missing)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(ENGINE_PACKAGES) >/dev/null; fi
	@touch $@

$(STAMPS)/npm: package.json package-lock.json
	@mkdir -p $(STAMPS)
	@echo "[setup] npm ci"
	@PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMPS)/venv: requirements/host.txt pyproject.toml
	@mkdir -p $(STAMPS)
	@test -n "$(HOST_PYTHON)" || { echo "no Python >= 3.12 found (pyenv install 3.13)"; exit 1; }
	@echo "[setup] venv with $(HOST_PYTHON)"
	@[ -x $(PY) ] || $(HOST_PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q -r requirements/host.txt 2>&1 | { grep -v "^WARNING: Location" || true; }; test $${PIPESTATUS[0]} -eq 0
	@$(PY) -m pip install -q --no-deps --no-build-isolation -e . 2>&1 | { grep -v "^WARNING: Location" || true; }; test $${PIPESTATUS[0]} -eq 0
	@test -x $(VENV)/bin/browser-rt || { echo "[setup] venv is incomplete: no browser-rt script"; exit 1; }
	@touch $@

wheel: $(STAMPS)/wheel
$(STAMPS)/wheel: $(STAMPS)/venv $(PY_SOURCES) $(WHEEL_DATA) pyproject.toml README.md
	@echo "[setup] building the browser_rt wheel"
	@mkdir -p build && flock build/.wheel.lock bash -c 'rm -f dist/browser_rt-*.whl && $(PY) -m build --wheel --no-isolation -o dist . >/dev/null'
	@touch $@

bundle: $(STAMPS)/wheel $(STAMPS)/npm
	@flock build/.bundle.lock $(VENV)/bin/browser-rt bundle --out $(BUNDLE)

# What an embedder deploys: no test-only wheels. The e2e suite copies it to a plain static host.
bundle-production: $(STAMPS)/wheel $(STAMPS)/npm
	@flock build/.bundle.lock $(VENV)/bin/browser-rt bundle --out $(BUNDLE_PROD) --production

demo: setup
	@$(VENV)/bin/browser-rt serve --bundle $(BUNDLE) --site site --policy site/demo-policy.json --api-ports 8001,8002 --port $(DEMO_PORT) --cross-origin-isolated

# Pyodide in Node and Pyodide in Chromium each keep one core busy, so they run side by side
# (each suite's output is printed whole when it ends).
test: setup
	@$(MAKE) --no-print-directory test-host test-js
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-node test-chrome
	@$(MAKE) --no-print-directory test-browser test-e2e

test-host: $(STAMPS)/venv
	@echo "== host CPython =="
	@$(call record,host.xml,pytest-junit,host) $(PYTEST_RT) tests -q --ignore=tests/browser --junitxml=$(REPORTS)/host.xml

test-node: bundle
	@echo "== Pyodide in Node =="
	@$(call record,node.xml,pytest-junit,node) $(PYTEST_RT) tests -q --ignore=tests/browser --run-in-pyodide --rt node --dist-dir $(DIST_DIR) --junitxml=$(REPORTS)/node.xml

test-chrome: bundle $(STAMPS)/apt
	@echo "== Pyodide in headless Chromium =="
	@$(CHROME_ENV) $(call record,chrome.xml,pytest-junit,chrome) $(PYTEST_RT) tests -q --ignore=tests/browser --run-in-pyodide --rt chrome --dist-dir $(DIST_DIR) --junitxml=$(REPORTS)/chrome.xml

test-browser: bundle $(STAMPS)/apt
	@echo "== pytest-pyodide runtime tests (Node and Chromium) =="
	@$(CHROME_ENV) $(PYTEST_RT) tests/browser -q --rt node-no-host,chrome-no-host --dist-dir $(DIST_DIR)

test-js: bundle
	@echo "== JS (node --test) =="
	@BROWSER_RT_BUNDLE=$(BUNDLE) node --test tests/js/
	@echo "== TypeScript: examples/ against js_bridge/index.d.ts (tsc --noEmit --strict) =="
	@npx --no-install tsc -p examples/tsconfig.json

test-e2e: bundle bundle-production $(STAMPS)/apt
	@echo "== Playwright: every spec in Chromium, the security checks in Firefox ESR and WebKitGTK too =="
	@$(call record,e2e.json,playwright-json,$(E2E_RUNTIMES)) env PLAYWRIGHT_JSON_OUTPUT_NAME=$(REPORTS)/e2e.json xvfb-run -a npx --no-install playwright test --reporter=list,json

lint: $(STAMPS)/venv
	@$(VENV)/bin/ruff check browser_rt tests
	@$(VENV)/bin/mypy

clean:
	rm -rf build dist artifacts .cache

# Benchmarks (not part of `make test`): ratios against peers measured in the same run; see docs/bench.md.
.PHONY: bench bench-smoke

$(STAMPS)/bench-deps: requirements/bench.txt $(STAMPS)/venv
	@echo "[bench] installing requirements/bench.txt (matplotlib, for the plots)"
	@$(PY) -m pip install -q -r requirements/bench.txt 2>&1 | { grep -v "^WARNING: Location" || true; }; test $${PIPESTATUS[0]} -eq 0
	@touch $@

# The plugin benchmark's published suites: sdists only, checked against their sha256.
$(STAMPS)/bench-suites: requirements/bench-suites.txt $(STAMPS)/venv
	@echo "[bench] downloading requirements/bench-suites.txt (sdists of the suites the plugin is timed on)"
	@$(PY) -m pip download -q --no-deps --no-binary :all: --require-hashes -r requirements/bench-suites.txt -d .cache/bench-suites
	@touch $@

bench: bundle $(STAMPS)/apt $(STAMPS)/bench-deps $(STAMPS)/bench-suites
	@$(PY) -m bench

bench-smoke: bundle $(STAMPS)/apt
	@$(PY) -m bench --smoke --no-plots

# Security release gate (docs/security-gate.md): adversarial scenarios in every runtime, protocol
# bounds, dependency allowlist, artifact integrity, the redaction guard and bounded fuzzing.
.PHONY: gate gate-self-test fuzz

gate: bundle $(STAMPS)/apt
	@$(VENV)/bin/browser-rt gate --policy security/policy.json --bundle $(BUNDLE) --out artifacts --reports $(REPORTS)

gate-self-test: bundle $(STAMPS)/apt
	@$(VENV)/bin/browser-rt gate --self-test --policy security/policy.json --bundle $(BUNDLE) --out artifacts

fuzz: $(STAMPS)/venv
	@BROWSER_RT_FUZZ_RECORD=1 HYPOTHESIS_PROFILE=fuzz $(PYTEST_RT) -q tests/test_fuzz_*.py

# browser_rt.testing's planted-fault self-test: the sample project with each plugin fix turned off.
.PHONY: test-plugin-self-test
test-plugin-self-test: bundle
	@$(VENV)/bin/browser-rt test --self-test --dist-dir $(DIST_DIR)
