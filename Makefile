# `make test` and `make demo` build .venv on first use (about 3 minutes; the torch wheels come
# from local disk here) and reuse it afterwards: the stamp file makes a second run take seconds.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo lint clean-venv

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[dev,demo]"
	touch $(STAMP)

# pytest exits 5 when it collects no test; treat that as a failure we can read, not a silent pass.
test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

# Until the web demo exists: a short, visible DCGAN run on scikit-learn's bundled 8x8 digits
# (upsampled to 32 px; half-width nets so it takes about a minute on a laptop CPU).
demo: $(STAMP)
	$(VENV)/bin/translate train --model dcgan --data digits --steps 400 --ngf 32 --ndf 32 \
		--batch-size 64 --sample-every 100 --out checkpoints/run-demo-digits-$$(date +%Y%m%d-%H%M%S)

lint: $(STAMP)
	$(VENV)/bin/ruff check translate tests bench

clean-venv:
	rm -rf $(VENV)
