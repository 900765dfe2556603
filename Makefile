# `make test` and `make demo` build .venv on first use (about 3 minutes with a fast connection) and reuse it
# afterwards: the stamp file makes a second run take seconds.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo lint clean-venv

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# compat: the checkout goes on sys.path, so `import translate` finds the package even from a folder that
	# holds a directory named translate (the clone itself), which would otherwise pass for an empty one
	$(PY) -m pip install --quiet -e ".[dev,demo,onnx,video]" --config-settings editable_mode=compat
	touch $(STAMP)

# pytest exits 5 when it collects no test; treat that as a failure we can read, not a silent pass.
test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

# The web demo on http://127.0.0.1:7860 (models load lazily; see `translate demo --help`).
demo: $(STAMP)
	$(VENV)/bin/translate demo

lint: $(STAMP)
	$(VENV)/bin/ruff check translate tests bench

clean-venv:
	rm -rf $(VENV)
