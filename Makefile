# Set-up and everyday commands. `make train` and `make test` are the README's quick start.
PYTHON ?= python3
# TensorFlow 2.15 has no wheels for Python 3.12+; the third stack runs TF 2.21 on Python 3.13.
PYTHON313 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) python3.13)
VENV ?= .venv
LEGACY_VENV ?= .venv-legacy
PY313_VENV ?= .venv-py313
TORCH_VENV ?= .venv-torch
# TensorFlow 1.15 has wheels for Python 3.7 at the newest: the benchmark's optional plain_tf1.
PYTHON37 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.7*/bin/python3.7) python3.7)
TF1_VENV ?= .venv-tf1
NEXT_VENV ?= .venv-next
FRAMEWORKS_VENV ?= .venv-frameworks
FRAMEWORKS_LEGACY_VENV ?= .venv-frameworks-legacy
DATA_DIR ?= /usr/share/datasets/fashion-mnist
ARGS ?=

.PHONY: setup setup-legacy setup-py313 bench-peers bench-tf1 data train test next-stack test-next \
	frameworks-stacks test-frameworks

data:
	@if [ ! -f $(DATA_DIR)/train-images-idx3-ubyte.gz ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq dataset-fashion-mnist; fi; fi

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt -r requirements-dev.txt
	touch $@

$(LEGACY_VENV)/.installed: requirements-legacy.txt requirements-dev.txt
	$(PYTHON) -m venv $(LEGACY_VENV)
	$(LEGACY_VENV)/bin/pip install -q --upgrade pip
	$(LEGACY_VENV)/bin/pip install -q -r requirements-legacy.txt -r requirements-dev.txt
	touch $@

$(PY313_VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON313) -m venv $(PY313_VENV)
	$(PY313_VENV)/bin/pip install -q --upgrade pip
	$(PY313_VENV)/bin/pip install -q -r requirements.txt -r requirements-dev.txt
	touch $@

# The benchmark's optional PyTorch peers (torch_fp32, torch_bf16 and their torch.compile twins, whose
# Inductor compiles C++ with the system's g++): never a dependency of the package or the tests.
# The worker reads the data and flags with numpy, absl, matplotlib. No pip
# configuration file: some machines' global one caps torch at the older releases on their disk.
$(TORCH_VENV)/.installed: requirements-torch.txt
	$(PYTHON) -m venv $(TORCH_VENV)
	$(TORCH_VENV)/bin/pip install -q --upgrade pip
	PIP_CONFIG_FILE=/dev/null $(TORCH_VENV)/bin/pip install -q -r requirements-torch.txt
	touch $@

# The benchmark's optional plain_tf1: the TF 1.x program run plainly on TensorFlow 1.15 (no
# estimator_cnn there: the benchmark's worker runs on the current stack and only starts the program).
$(TF1_VENV)/.installed: requirements-tf1.txt
	$(PYTHON37) -m venv $(TF1_VENV)
	PIP_CONFIG_FILE=/dev/null $(TF1_VENV)/bin/pip install -q -r requirements-tf1.txt
	touch $@

setup: data $(VENV)/.installed
setup-legacy: data $(LEGACY_VENV)/.installed
setup-py313: data $(PY313_VENV)/.installed
bench-peers: data $(TORCH_VENV)/.installed
bench-tf1: data $(TF1_VENV)/.installed

train: setup
	$(VENV)/bin/python run.py --optimizer=adam --steps=1500 $(ARGS)

test: setup setup-legacy setup-py313
	bash scripts/test.sh

# The next TensorFlow: the newest tf-nightly and tf-keras-nightly the registry serves, upgraded on
# every run, with the same tf.estimator wheel; tests/legacy on it. Not part of `make test`.
next-stack:
	test -x $(NEXT_VENV)/bin/python || $(PYTHON) -m venv $(NEXT_VENV)
	$(NEXT_VENV)/bin/pip install -q --upgrade pip
	$(NEXT_VENV)/bin/pip install -q --pre --upgrade -r requirements-next.txt -r requirements-dev.txt

test-next: setup-legacy next-stack
	bash scripts/test_next.sh

# Real frameworks built on tf.estimator (requirements-frameworks-nodeps.txt, installed with --no-deps as
# docs/legacy.md tells users) on TF 2.21 with pandas 3, and on TF 2.15 as the reference; their programs
# in tests/frameworks. Not part of `make test`.
define frameworks_venv  # venv, requirements file
	$(PYTHON) -m venv $(1)
	$(1)/bin/pip install -q --upgrade pip
	$(1)/bin/pip install -q -r $(2) -r requirements-dev.txt
	$(1)/bin/pip install -q --no-deps -r requirements-frameworks-nodeps.txt
	touch $(1)/.installed
endef

$(FRAMEWORKS_VENV)/.installed: requirements.txt requirements-dev.txt requirements-frameworks.txt \
		requirements-frameworks-nodeps.txt
	$(call frameworks_venv,$(FRAMEWORKS_VENV),requirements-frameworks.txt)

$(FRAMEWORKS_LEGACY_VENV)/.installed: requirements-legacy.txt requirements-dev.txt \
		requirements-frameworks-legacy.txt requirements-frameworks-nodeps.txt
	$(call frameworks_venv,$(FRAMEWORKS_LEGACY_VENV),requirements-frameworks-legacy.txt)

frameworks-stacks: $(FRAMEWORKS_VENV)/.installed $(FRAMEWORKS_LEGACY_VENV)/.installed

test-frameworks: frameworks-stacks
	bash scripts/test_frameworks.sh
