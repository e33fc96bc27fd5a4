# The commands the README gives. Each sets up what it needs first (idempotent, cached).
.PHONY: serve test models setup-run setup-test

serve: setup-run
	.venv/bin/localfn serve

# Lint, formatting and types first (configured in pyproject.toml), each failure saying what to run; then the tests.
test: setup-test
	.venv/bin/ruff check . || { echo "make test: ruff check found the problems above (many fix with: .venv/bin/ruff check --fix .)" >&2; exit 1; }
	.venv/bin/ruff format --check . || { echo "make test: the files above are not formatted; run: .venv/bin/ruff format ." >&2; exit 1; }
	bash scripts/typecheck.sh || { echo "make test: mypy found the type errors above" >&2; exit 1; }
	.venv/bin/python -m pytest

# Retrains the models the functions ship (assets/routing/classifier.json, assets/icons/tfidf.json)
# with scikit-learn, from the data beside them; commit what it writes.
models: setup-test
	.venv/bin/python -m localfn.functions.train

setup-run:
	bash scripts/setup.sh run

setup-test:
	bash scripts/setup.sh test
