"""The caller's ``parameters`` schema as the final judge of the model's arguments.

Validation is JSON Schema 2020-12 with format checking (every format the spec defines:
date, date-time, time, duration, email, uri, ipv4, ipv6, uuid, ...). A ``required`` value
that is absent is not a fault of the model: the message did not give it, so it is reported
as missing. Any other error is a fault, and the model is asked again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from localfn.jsonschemas import validator

__all__ = ["Judgement", "judge"]


@dataclass(frozen=True)
class Judgement:
    missing: list[str]  # paths of required values not given, e.g. "origin", "passengers/adults"
    problems: list[str]  # every other way the arguments break the schema


def judge(arguments: dict[str, Any], parameters: dict[str, Any]) -> Judgement:
    missing: list[str] = []
    problems: list[str] = []
    for error in validator(parameters, formats=True).iter_errors(arguments):
        where = [str(part) for part in error.instance_path]
        if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required):
            path = "/".join([*where, error.kind.property])
            if path not in missing:
                missing.append(path)
        else:
            problems.append(f"{'/'.join(['arguments', *where])}: {error.message}")
    return Judgement(missing, problems)
