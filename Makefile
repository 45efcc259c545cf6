# tokenfleet — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV = $(shell hack/python-env.sh)
PY = $(VENV)/bin/python
CRD_DIRS = crds charts/tokenfleet/crds --reference README.md
PYTEST_ARGS ?=

.PHONY: help
help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

.PHONY: test
test: ## Install everything needed, start the local control plane, run lint and all tests
	hack/test.sh $(PYTEST_ARGS)

.PHONY: test-unit
test-unit: ## Unit tests only (pure code, no cluster)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

.PHONY: lint
lint: ## ruff, mypy --strict and the import layers
	$(VENV)/bin/ruff check operator tests
	$(VENV)/bin/ruff format --check operator tests
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

.PHONY: fmt
fmt: ## Format and autofix with ruff
	$(VENV)/bin/ruff format operator tests
	$(VENV)/bin/ruff check --fix operator tests

.PHONY: crds
crds: ## Generate the CRDs from the models into crds/ and the chart
	$(VENV)/bin/tokenfleet crds $(CRD_DIRS)

.PHONY: crds-check
crds-check: ## Fail when the CRD files drift from the models
	$(VENV)/bin/tokenfleet crds --check $(CRD_DIRS)

.PHONY: tools
tools: ## Build the control-plane binaries into ~/.cache/tokenfleet (cached by version)
	hack/install-bins.sh

.PHONY: cluster-up
cluster-up: ## Start etcd, kube-apiserver, controller-manager, scheduler and KWOK on 127.0.0.1
	hack/cluster-up.sh

.PHONY: cluster-down
cluster-down: ## Stop the local control plane and remove its state
	hack/cluster-down.sh

.PHONY: demo
demo: ## The main job: the operator scales the DeepSeek-V3 fleet through a day on the local cluster (DEMO_ARGS=--help)
	hack/install-bins.sh >/dev/null
	hack/install-prometheus.sh
	$(VENV)/bin/tokenfleet demo $(DEMO_ARGS)

TRACES ?= traces
FLEET ?= manifests/samples/deepseek-v3.yaml

.PHONY: bench
bench: bench-policies bench-loop ## Both benchmarks below

.PHONY: bench-policies
bench-policies: ## Every policy on every trace in $(TRACES) and on 63 generated days, with the $(FLEET) fleet: node-hours, late tokens, cost, margin, HPA frontier
	$(VENV)/bin/tokenfleet bench --traces $(TRACES) --fleet $(FLEET) --generated

BENCH_LOOP_HOURS ?= 6
.PHONY: bench-loop
bench-loop: ## The live loop on the demo fleet (~400 nodes and pods): p50/p99 step per loop and lag, over $(BENCH_LOOP_HOURS) h of the sample day
	hack/install-bins.sh >/dev/null
	hack/install-prometheus.sh
	$(VENV)/bin/tokenfleet demo --hours $(BENCH_LOOP_HOURS) --out out/bench-loop

.PHONY: install-manifest
install-manifest: ## Render manifests/install.yaml from the Helm chart (a test fails on drift)
	hack/render-install.sh

.PHONY: helm-lint
helm-lint: ## helm lint --strict the chart, with default and with namespaced values
	H="$$(hack/install-bins.sh)/helm" && "$$H" lint --strict charts/tokenfleet && \
	  "$$H" lint --strict charts/tokenfleet --set 'operator.watchNamespaces={a,b}' --set replicaCount=0

.PHONY: kind-e2e
kind-e2e: ## Needs Docker: kind cluster, operator image, helm install, samples, smoke check
	hack/kind-e2e.sh
