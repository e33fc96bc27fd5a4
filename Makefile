# The commands the README gives. Each sets up what it needs first (idempotent, cached).
.PHONY: serve test models setup-run setup-test

serve: setup-run
	.venv/bin/localfn serve

test: setup-test
	.venv/bin/python -m pytest

# Retrains the models the functions ship (assets/routing/classifier.json, assets/icons/tfidf.json)
# with scikit-learn, from the data beside them; commit what it writes.
models: setup-test
	.venv/bin/python -m localfn.functions.train

setup-run:
	bash scripts/setup.sh run

setup-test:
	bash scripts/setup.sh test
