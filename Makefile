# Two commands for people: `make run` (the app) and `make test` (the whole suite).
# Both create .venv and install everything they need on a machine with only Python and pip.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test setup check lint screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dist]'
	$(BIN)/python -m compileall -q exam_desktop
	touch $(STAMP)

## The package's bytecode, as an installed or frozen app has it (an editable install has none, and
## where PYTHONDONTWRITEBYTECODE is set every start would compile the app's ~120 modules again).
setup: $(STAMP)
	$(BIN)/python -m compileall -q exam_desktop

## The app's main job: the 1h45 Machine Learning Engineers Test in practice mode.
## Without a screen (a server, an SSH session) it renders the test's questions to out/demo/ instead.
run: setup
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY$$QT_QPA_PLATFORM" ]; then \
		$(BIN)/exam-desktop demo; \
	else \
		echo "No screen here (DISPLAY is not set): rendering the test's questions to out/demo/ instead."; \
		$(BIN)/exam-desktop preview banks/ml-engineers-test.md --png out/demo && \
		echo "Open the PNG files in out/demo/ to see the questions as candidates do."; \
	fi

## The whole test suite (Qt offscreen, real QtWebEngine, real SQLite).
test: $(STAMP)
	bash scripts/system-deps.sh
	$(BIN)/python -m ruff check exam_desktop tests bench
	$(BIN)/python -m ruff format --check exam_desktop tests bench
	$(BIN)/python -m mypy
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

check: $(STAMP)
	$(BIN)/exam-desktop check banks/

## Every screen a candidate sees on a seat (identification ... receipt, errors) in English, Italian
## and French at 1280×800 and 1920×1080, as PNG in out/kiosk-screens/ (the screens' own test).
screenshots: $(STAMP)
	EXAM_DESKTOP_SCREENSHOTS=out/kiosk-screens QT_QPA_PLATFORM=offscreen \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/session/test_exam_day_screens.py
	@echo "PNG files in out/kiosk-screens/screens/"

lint: $(STAMP)
	$(BIN)/python -m ruff check exam_desktop tests bench
	$(BIN)/python -m ruff format --check exam_desktop tests bench
	$(BIN)/python -m mypy

## The one-folder app for lab machines: dist/exam-desktop/ (docs/deploying.md). Build it on the
## oldest Linux the seats run, with the xcb libraries installed so they are bundled.
dist: $(STAMP)
	bash scripts/system-deps.sh
	$(BIN)/pyinstaller --noconfirm pyinstaller.spec
	$(BIN)/python bench/frozen_size.py

## Builds the frozen app, then its smoke test (a missing or stale build fails instead of skipping).
dist-check: dist
	EXAM_DESKTOP_DIST_CHECK=1 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/test_frozen.py -v

.PHONY: dist dist-check
