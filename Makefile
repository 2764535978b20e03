# The front door: every target creates or reuses .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench bench-serving bench-serving-deep bench-batch venv clean checkov cloud-validators

venv: $(STAMP)

# The `deep` extra pins torch==2.13.0: pip takes the CPU build where pip's find-links have it (this
# machine's /opt/wheels); elsewhere install it first from PyTorch's CPU index (see the README).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,tabular,deep]'
	touch $(STAMP)

# quickstart on the example model; uses the local base image when the engine has it.
demo: $(STAMP)
	$(BIN)/deploy-advisor quickstart -o demo --force \
		$$(docker image inspect deploy-advisor-base:bookworm >/dev/null 2>&1 && \
		   echo --base-image deploy-advisor-base:bookworm)

# checkov is heavy and pins its own dependencies: it lives in its own venv, used by `validate`.
CHECKOV := .venv-checkov/bin/checkov
checkov: $(CHECKOV)

$(CHECKOV):
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet checkov

# cfn-lint and the azure-ai-ml SDK (dozens of Azure and OpenTelemetry packages) check the managed
# cloud scaffolds from their own venv, like checkov.
CLOUD := .venv-cloud/bin
cloud-validators: $(CLOUD)/cfn-lint

$(CLOUD)/cfn-lint:
	$(PYTHON) -m venv .venv-cloud
	$(CLOUD)/pip install --quiet cfn-lint==1.58.0 azure-ai-ml==1.35.2 botocore==1.44.8

test: $(STAMP) $(CHECKOV) $(CLOUD)/cfn-lint
	DEPLOY_ADVISOR_CHECKOV=$(CURDIR)/$(CHECKOV) DEPLOY_ADVISOR_CFN_LINT=$(CURDIR)/$(CLOUD)/cfn-lint \
	DEPLOY_ADVISOR_CLOUD_PYTHON=$(CURDIR)/$(CLOUD)/python $(BIN)/python -m pytest

# The fast tier: every test that needs no Docker engine, nginx or Chromium, in parallel.
test-fast: $(STAMP) $(CHECKOV)
	DEPLOY_ADVISOR_CHECKOV=$(CURDIR)/$(CHECKOV) $(BIN)/python -m pytest -n auto \
		-m "not docker and not nginx and not chromium"

lint: $(STAMP)
	$(BIN)/ruff check deploy_advisor tests benchmarks
	$(BIN)/ruff format --check deploy_advisor tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/cold_start.py --out benchmarks/results/cold_start.json

# The serving benchmark: each contender gets its own venv so their pins never touch .venv; the
# model frameworks (scikit-learn, xgboost, lightgbm) are constrained to .venv's versions, so
# every contender loads the same pickles. wrk comes from Debian.
# BENCH_SERVING_ARGS picks the run, e.g. '--models forest,churn --contenders ours,mlserver'.
BENCH_VENVS := bentoml mlflow flask mlserver litserve
SKLEARN_PIN = scikit-learn==$$($(BIN)/python -c 'import sklearn; print(sklearn.__version__)')
FRAMEWORK_PINS = $(BIN)/python benchmarks/contenders/pins.py scikit-learn 'xgboost|xgboost-cpu' lightgbm

.venv-bench-%/.installed: benchmarks/contenders/requirements-%.txt $(STAMP)
	test -x .venv-bench-$*/bin/python || $(PYTHON) -m venv .venv-bench-$*
	.venv-bench-$*/bin/pip install --quiet --upgrade pip
	$(FRAMEWORK_PINS) > .venv-bench-$*/constraints.txt
	.venv-bench-$*/bin/pip install --quiet -r $< -c .venv-bench-$*/constraints.txt "$(SKLEARN_PIN)"
	touch $@

bench-serving: $(STAMP) $(foreach v,$(BENCH_VENVS),.venv-bench-$(v)/.installed)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python benchmarks/serving.py $(BENCH_SERVING_ARGS)

# The deep-learning serving benchmark: a small text classifier (BERT-shaped, random weights, a
# tokenizer trained here) served by ours, a plain FastAPI app with a transformers pipeline and
# LitServe; the contenders' venv takes torch and transformers at .venv's versions (the CPU build).
DEEP_PINS = $(BIN)/python benchmarks/contenders/pins.py torch transformers tokenizers safetensors numpy

.venv-bench-deep/.installed: benchmarks/contenders/requirements-deep.txt $(STAMP)
	test -x .venv-bench-deep/bin/python || $(PYTHON) -m venv .venv-bench-deep
	.venv-bench-deep/bin/pip install --quiet --upgrade pip
	$(DEEP_PINS) > .venv-bench-deep/constraints.txt
	.venv-bench-deep/bin/pip install --quiet -r $< -c .venv-bench-deep/constraints.txt
	touch $@

bench-serving-deep: $(STAMP) .venv-bench-deep/.installed
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python benchmarks/serving_deep.py $(BENCH_DEEP_ARGS)

# The batch benchmark: 1,000,000 generated rows through the scorer (BENCH_BATCH_ARGS=--rows N).
bench-batch: $(STAMP)
	$(BIN)/python benchmarks/batch.py $(BENCH_BATCH_ARGS)

clean:
	rm -rf $(VENV) .venv-bench-* .pytest_cache .mypy_cache .ruff_cache build *.egg-info
