# newsingest: `make run` starts the daemon, `make test` runs the suite. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: promtool run demo test bench bench-dedup bench-poll bench-delivery eval train lint clean install dev browser screenshot lock chaos

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "newsingest needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# constraints.txt pins the runtime dependencies to the versions of requirements.lock (the
# image's), so the suite tests what ships.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml constraints.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

lock: | $(BIN)/python  ## requirements.lock (exact versions + hashes) and constraints.txt from pyproject.toml
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --annotation-style line \
	  --custom-compile-command 'make lock' --quiet --generate-hashes -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --annotation-style line \
	  --custom-compile-command 'make lock' --quiet -o constraints.txt

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

run: install  ## the daemon on seeds/feeds.opml, embedded Redis unless NEWSINGEST_REDIS_URL is set
	$(BIN)/newsingest run

demo: install  ## the daemon against a local site made from seeds/: events within seconds
	$(BIN)/newsingest demo

test: dev browser promtool  ## the whole suite, on a private redis-server it starts itself
	$(BIN)/pytest

# Debian's chromium for tests/test_page.py and `make screenshot` (playwright drives it; its own
# browser download is not used). Installed only as root where apt-get exists; elsewhere the
# page test skips with a message.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && echo "installing chromium (apt-get) for the live page test" \
	  && timeout 900 sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium' >/dev/null 2>&1; } \
	  || echo "chromium not installed: tests/test_page.py will be skipped"

promtool: | $(BIN)/python  ## promtool in the venv for the /metrics lint test (from Debian's package, unpacked)
	@sh tools/get_promtool.sh $(BIN)/promtool

screenshot: dev browser  ## docs/live-page.png: the live page at 1280x800 against the demo site
	$(BIN)/python tools/screenshot.py docs/live-page.png

bench: install  ## end-to-end throughput, latency, RSS, trafilatura baseline, cleaning F1, extraction speed
	$(BIN)/python bench/bench_pipeline.py
	$(BIN)/python bench/bench_extract.py

bench-poll: install  ## 10,000 feeds on a local server: polls/s, RSS per poller, double polls with two
	$(BIN)/python bench/bench_poll.py

bench-dedup: install  ## duplicate detection precision/recall and cost per article
	$(BIN)/python bench/bench_dedup.py

bench-delivery: dev browser  ## tail under 20 SIGKILLs; SSE latency, 50 clients; page latency; flaky webhook
	$(BIN)/python bench/bench_delivery.py

chaos: install  ## faults while articles flow (worker kill -9, daemon restarts, Redis kill -9, flaky Redis network, hostile site): losses, duplicates, recovery
	$(BIN)/python bench/chaos.py --scenarios T1,T2,T3,T4,T5,T8 --articles 1000 --duration 180 --log-offline 60

eval: install  ## event extraction scored on ../shared/eval (labelled events, whole pages, news)
	$(BIN)/python bench/eval_events.py
	$(BIN)/python bench/eval_news.py
	$(BIN)/python bench/eval_precision.py

$(VENV)/.train-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[train]'
	touch $@

train: $(VENV)/.train-installed  ## rebuild the incident-report model from ../shared/train
	$(BIN)/python -m workers.extract.train

lint: dev
	$(BIN)/pip install --quiet ruff mypy
	$(BIN)/ruff check service workers tests bench tools
	$(BIN)/mypy --strict --ignore-missing-imports service workers

clean:
	rm -rf $(VENV) var build *.egg-info
