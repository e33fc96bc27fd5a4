# The two commands the README gives. Each sets up what it needs first (idempotent, cached).
.PHONY: serve test setup-run setup-test

serve: setup-run
	.venv/bin/localfn serve

test: setup-test
	.venv/bin/python -m pytest

setup-run:
	bash scripts/setup.sh run

setup-test:
	bash scripts/setup.sh test
