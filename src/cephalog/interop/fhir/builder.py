"""The builder: one patient's resources in a fixed order, and the resources they share
(the clinic's Organization, each Practitioner once)."""

from __future__ import annotations

import zoneinfo

from cephalog.accounts.rules_queries import clinic_rules
from cephalog.interop import codes as c
from cephalog.interop.fhir.record import PatientRecord
from cephalog.interop.fhir.values import Json, _drop_empty, global_id, resource_id


class _Builder:
    """Builds one patient's resources in a fixed order (Patient first)."""

    def __init__(self, record: PatientRecord) -> None:
        self.r = record
        self.p = record.patient
        self.clinic = self.p.clinic
        self.clinic_tz = zoneinfo.ZoneInfo(self.clinic.time_zone)
        self.patient_tz = zoneinfo.ZoneInfo(self.p.time_zone)
        self.out: list[Json] = []
        self.practitioners: dict[int, Json] = {}
        # Days are classed and windows counted under the clinic's ruleset (spec section 11).
        self.rules = clinic_rules(self.clinic)

    def id(self, kind: str, key: object) -> str:
        return resource_id(self.p, kind, key)

    def add(self, resource: Json) -> Json:
        resource = _drop_empty(resource)
        self.out.append(resource)
        return resource

    def practitioner(self, user_id: int | None) -> Json | None:
        if user_id is None:
            return None
        if user_id not in self.practitioners:
            user = self.r.users.get(user_id)
            if user is None:
                return None
            name: Json = {"text": user.get_full_name() or user.username}
            if user.last_name:
                name["family"] = user.last_name
            if user.first_name:
                name["given"] = [user.first_name]
            self.practitioners[user_id] = self.add(
                {
                    "resourceType": "Practitioner",
                    "id": global_id("user", user_id),
                    "name": [name],
                }
            )
        return self.practitioners[user_id]

    def organization(self) -> Json:
        return self.add(
            {
                "resourceType": "Organization",
                "id": global_id("clinic", self.clinic.slug),
                "identifier": [{"system": c.sid("clinic"), "value": self.clinic.slug}],
                "name": self.clinic.name,
                "telecom": (
                    [{"system": "phone", "value": self.clinic.phone}] if self.clinic.phone else []
                ),
            }
        )
