"""The extract-parameters evaluation: exact-match accuracy per category against a given engine."""
