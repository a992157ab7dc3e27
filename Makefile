# The two commands a new user needs: `make run` and `make test` (README).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
NODE_STAMP := tests/node/node_modules/.installed

.PHONY: run test install lint typecheck node postgres package playground clean bench

$(BIN)/sdbot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(BIN)/sdbot

$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json
	bash scripts/ensure-node.sh
	npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
	touch $@

node: $(NODE_STAMP)

postgres:
	bash scripts/ensure-postgres.sh

run: install
	@mkdir -p var
	@echo "Starting the Strategy Discussions bot in development mode (no authentication)."
	@echo "  Talk to it: POST activities to http://127.0.0.1:3978/api/messages,"
	@echo "  or run 'make playground' in another terminal and open http://localhost:56150"
	@echo "  (Microsoft 365 Agents Playground, a local Teams emulator). Type 'help'."
	$(BIN)/sdbot migrate
	SDBOT_DEV=1 $(BIN)/sdbot serve

lint: install
	$(BIN)/ruff check .

# mypy over the packages (pyproject [tool.mypy]): states, verbs and SQLAlchemy columns are typed.
typecheck: install
	$(BIN)/mypy

test: install node postgres lint typecheck
	$(BIN)/python -m pytest -q

# RSVP presses and scheduler passes with a large database, next to a floor (README "Performance").
# `make bench DB=postgres` runs it on a PostgreSQL server it starts; BENCH_ARGS=--quick for a short run.
DB ?= sqlite
bench: install
	$(if $(filter postgres,$(DB)),bash scripts/ensure-postgres.sh)
	$(BIN)/python scripts/bench.py --db $(DB) $(BENCH_ARGS)

package: install
	$(BIN)/sdbot package --out build/sdbot-teams-app.zip

tools/playground/node_modules/.installed: tools/playground/package.json tools/playground/package-lock.json
	bash scripts/ensure-node.sh
	npm ci --prefix tools/playground --no-audit --no-fund --loglevel=error
	touch $@

# Microsoft's local Teams emulator, pointed at the bot `make run` serves; open http://localhost:56150
playground: tools/playground/node_modules/.installed
	TEAMSAPPTESTER_BROWSER=none APPLICATION_INSIGHTS_NO_STATSBEAT=true \
	  tools/playground/node_modules/.bin/agentsplayground -e http://127.0.0.1:3978/api/messages \
	  -c msteams -p 56150 --disable-telemetry

clean:
	rm -rf $(VENV) var build tests/node/node_modules tools/playground/node_modules
