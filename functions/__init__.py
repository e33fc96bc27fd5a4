"""The capabilities, one package each; installed as ``localfn.functions``."""
