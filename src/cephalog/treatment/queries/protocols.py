"""Protocols: the clinic's choices and the snapshot a session keeps."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from cephalog.accounts.models import Clinic
from cephalog.domain import dosing
from cephalog.treatment.models import (
    ProtocolTemplate,
    Session,
)


def protocol_snapshot(p: dosing.Protocol) -> dict[str, Any]:
    return {
        "name": p.name,
        "title": p.title,
        "ftp_caps": {m.value: n for m, n in p.ftp_caps.items()},
        "max_units": p.max_units,
        "max_sites": p.max_sites,
    }


def protocol_from_snapshot(d: dict[str, Any]) -> dosing.Protocol:
    return dosing.Protocol(
        name=d["name"],
        fixed_sites=dosing.FIXED_SITES,
        ftp_caps=MappingProxyType({dosing.Muscle(m): n for m, n in d["ftp_caps"].items()}),
        max_units=d["max_units"],
        max_sites=d["max_sites"],
        title=d.get("title", ""),
    )


def protocol_choices(clinic: Clinic) -> list[tuple[str, str]]:
    """Built-in protocols, then the clinic's active templates."""
    choices = [(p.name, p.title) for p in dosing.PROTOCOLS.values()]
    for t in ProtocolTemplate.objects.filter(clinic=clinic, active=True):
        choices.append((t.key, f"{t.title} (clinic template)"))
    return choices


def resolve_protocol(clinic: Clinic, key: str) -> tuple[dosing.Protocol, dict[str, Any]]:
    """The protocol named `key` and its snapshot; KeyError when unknown or invalid."""
    if key in dosing.PROTOCOLS:
        p = dosing.PROTOCOLS[key]
        return p, protocol_snapshot(p)
    if key.startswith("clinic:"):
        t = ProtocolTemplate.objects.filter(clinic=clinic, active=True, name=key[7:]).first()
        if t is not None:
            p = t.to_protocol()
            if not dosing.validate_protocol(p):
                return p, protocol_snapshot(p)
    raise KeyError(key)


def session_protocol(session: Session) -> dosing.Protocol:
    """The protocol the session was started with (sessions from before snapshots: by name)."""
    if session.protocol_definition:
        return protocol_from_snapshot(session.protocol_definition)
    return dosing.PROTOCOLS.get(session.protocol, dosing.PREEMPT_155)
