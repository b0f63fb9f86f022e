# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# Reproducible numerics: one BLAS/OpenMP thread (multithreaded BLAS on a busy 2-core
# machine is both slower and non-deterministic).
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export MPLBACKEND ?= Agg
export PYBAMM_DISABLE_TELEMETRY ?= true

.PHONY: demo test install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch==2.13.0 first: it is a local CPU build; letting the package's range pick torch
# would download a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[line,operon,test]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/electroforge demo

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) electroforge-workspace .pytest_cache
