"""The checks every bundle passes: references resolve, and each entry is valid FHIR R4
(fhir.resources' R4B models); and NDJSON's relative references."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from cephalog.interop.fhir.values import Json


def references(node: Any) -> Iterator[str]:
    """Every `reference` string anywhere in a resource."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def unresolved_references(bundle: Json) -> list[str]:
    """References that do not name the fullUrl of an entry of the bundle."""
    urls = {e.get("fullUrl") for e in bundle.get("entry", [])}
    return sorted(
        {r for e in bundle.get("entry", []) for r in references(e.get("resource")) if r not in urls}
    )


def validation_problems(bundle: Json, limit: int = 20) -> list[str]:
    """Each entry parsed with fhir.resources' R4B model of its resourceType (R4-compatible
    for every element cephalog writes); one line per problem, `entry[12] Observation: ...`.

    An Observation's components are validated one by one with the R4B
    ObservationComponent model, each distinct component once: a diary has
    hundreds of identical ones ("nausea: true"), and pydantic validation of
    nested FHIR elements is the slow part of an import. The result is the
    same as validating the whole Observation (no R4B rule spans components).
    """
    from fhir.resources.R4B import get_fhir_model_class

    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return ["resourceType: must be Bundle"]
    entries = bundle.get("entry") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return ["entry: must be a list of objects"]
    problems: list[str] = []
    shell = _shell_problem(bundle, entries)
    if shell:
        problems.append(f"Bundle: {shell}")
    valid_components: set[str] = set()
    for i, entry in enumerate(entries):
        resource = entry.get("resource")
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if not isinstance(kind, str):
            problems.append(f"entry[{i}]: no resource with a resourceType")
            continue
        try:
            model = get_fhir_model_class(kind)
        except ValueError:
            problems.append(f"entry[{i}]: unknown resourceType {kind!r}")
            continue
        assert isinstance(resource, dict)
        problem = _model_problem(model, kind, resource, valid_components)
        if problem:
            problems.append(f"entry[{i}] {kind}: {problem}")
        if len(problems) >= limit:
            problems.append("… more problems not shown")
            break
    return problems


def _shell_problem(bundle: Json, entries: list[Any]) -> str | None:
    """The first problem of the Bundle itself (its entries without their resources)."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    shell = {k: v for k, v in bundle.items() if k != "entry"}
    if entries:
        shell["entry"] = [{k: v for k, v in e.items() if k != "resource"} for e in entries]
    try:
        get_fhir_model_class("Bundle").model_validate(shell)
    except ValidationError as error:
        return _first_error(error)
    return None


def _model_problem(model: Any, kind: str, resource: Json, valid_components: set[str]) -> str | None:
    """The first problem of `resource` against `model` (an Observation's distinct
    components one by one), or None; other errors than validation ones propagate."""
    from fhir.resources.R4B.observation import ObservationComponent
    from pydantic import ValidationError

    components = resource.get("component") if kind == "Observation" else None
    try:
        if isinstance(components, list):
            model.model_validate({k: v for k, v in resource.items() if k != "component"})
            for j, component in enumerate(components):
                key = json.dumps(component, sort_keys=True)
                if key in valid_components:
                    continue
                try:
                    ObservationComponent.model_validate(component)
                except ValidationError as error:
                    return f"component.{j}.{_first_error(error)}"
                valid_components.add(key)
        else:
            model.model_validate(resource)
    except ValidationError as error:
        return _first_error(error)
    return None


def entry_problem(kind: str, resource: Json, valid_components: set[str]) -> str | None:
    """The first problem of one resource against its R4B model (`validation_problems`'s
    check for one entry), or None. `valid_components` caches components seen valid."""
    from fhir.resources.R4B import get_fhir_model_class

    try:
        model = get_fhir_model_class(kind)
    except (ValueError, KeyError, AttributeError):
        return f"unknown resourceType {kind!r}"
    try:
        return _model_problem(model, kind, resource, valid_components)
    except (TypeError, ValueError, RecursionError) as error:
        return f"not readable ({type(error).__name__})"


def _first_error(error: Any) -> str:
    errors = error.errors()
    if not errors:
        return str(error)
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', '')}{more}"


def relative_references(resource: Json, types: dict[str, str]) -> Json:
    """The resource with `urn:uuid:<id>` references rewritten as `Type/id` (NDJSON files)."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "reference" and isinstance(value, str) and value.startswith("urn:uuid:"):
                    rid = value.removeprefix("urn:uuid:")
                    out[key] = f"{types[rid]}/{rid}" if rid in types else value
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    rewritten: Json = walk(resource)
    return rewritten
