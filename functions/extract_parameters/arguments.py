"""The caller's ``parameters`` schema as the final judge of the model's arguments.

Validation is JSON Schema 2020-12 with format checking (the formats jsonschema checks:
date, date-time, time, email, ipv4, ipv6, uuid, ...). A ``required`` value that is absent is
not a fault of the model: the message did not give it, so it is reported as missing. Any
other error is a fault, and the model is asked again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

__all__ = ["Judgement", "judge"]


@dataclass(frozen=True)
class Judgement:
    missing: list[str]  # paths of required values not given, e.g. "origin", "passengers/adults"
    problems: list[str]  # every other way the arguments break the schema


def judge(arguments: dict[str, Any], parameters: dict[str, Any]) -> Judgement:
    validator = Draft202012Validator(parameters, format_checker=Draft202012Validator.FORMAT_CHECKER)
    missing: list[str] = []
    problems: list[str] = []
    for error in validator.iter_errors(arguments):
        where = [str(part) for part in error.absolute_path]
        if error.validator == "required" and isinstance(error.instance, dict):
            # jsonschema reports one error per absent name but does not say which; recover them.
            for name in error.validator_value:
                path = "/".join([*where, name])
                if name not in error.instance and path not in missing:
                    missing.append(path)
        else:
            problems.append(f"{'/'.join(['arguments', *where])}: {error.message}")
    return Judgement(missing, problems)
