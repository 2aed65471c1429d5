"""Protocol templates on the clinic's own page (ADR 10): list, add, edit, retire, each checked
against the domain's dosing rules (`dosing.validate_protocol`: PREEMPT narrowed, never
widened). Clinic admins and physicians keep them; nurses choose them, not change them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cephalog.accounts import actions as account_actions
from cephalog.accounts.models import Role
from cephalog.audit.models import AuditEvent
from cephalog.core.errors import AppError
from cephalog.domain import dosing
from cephalog.treatment import actions, queries
from cephalog.treatment.models import ProtocolTemplate
from tests.personas import Cast, assert_refused, client_for

LIST = reverse("protocol-list")
NEW = reverse("protocol-new")
BODY = {
    "name": "temporal-ftp",
    "title": "Temporal follow-the-pain only",
    "max_units": "165",
    "max_sites": "33",
    "ftp_temporalis": "2",
    "ftp_occipitalis": "0",
    "ftp_trapezius": "0",
}


def _create(cast: Cast, by: object = None, **limits: object) -> ProtocolTemplate:
    args = {
        "name": "temporal-ftp",
        "title": "Temporal only",
        "max_units": 165,
        "max_sites": 33,
        "ftp_caps": {"temporalis": 2},
        **limits,
    }
    return actions.create_protocol_template(clinic=cast.clinic, by=by or cast.physician, **args)


def test_a_valid_template_is_offered_for_new_sessions_and_audited(cast: Cast) -> None:
    template = _create(cast)
    assert template.to_protocol().ftp_cap(dosing.Muscle.TRAPEZIUS) == 0
    assert dosing.validate_protocol(template.to_protocol()) == []
    assert ("clinic:temporal-ftp", "Temporal only (clinic template)") in queries.protocol_choices(
        cast.clinic
    )
    row = AuditEvent.objects.get(category="protocol_template", action="create")
    assert row.username == cast.physician.username


@pytest.mark.parametrize(
    ("limits", "field", "words"),
    [
        ({"max_units": 200}, "max_units", "Must be between 155 and 195"),
        ({"max_sites": 30}, "max_sites", "Must be between 31 and 39"),
        ({"ftp_caps": {"trapezius": 5}}, "ftp_trapezius", "At most 4 extra sites"),
        ({"ftp_caps": {"temporalis": -1}}, "ftp_temporalis", "Must not be negative"),
        ({"name": "Not a slug!"}, "name", "slug"),
    ],
)
def test_a_template_that_widens_preempt_is_refused_beside_its_field(
    cast: Cast, limits: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(AppError) as caught:
        _create(cast, **limits)
    assert words in " ".join(caught.value.by_field[field])
    assert not ProtocolTemplate.objects.exists()


def test_the_same_short_name_twice_is_refused(cast: Cast) -> None:
    _create(cast)
    with pytest.raises(AppError) as caught:
        _create(cast, by=cast.clinic_admin)
    assert "has this short name" in caught.value.by_field["name"][0]


def test_nurses_and_other_clinics_do_not_change_templates(cast: Cast) -> None:
    for user in (cast.nurse, cast.other_physician):
        with pytest.raises(PermissionDenied):
            _create(cast, by=user)
    template = _create(cast)
    with pytest.raises(PermissionDenied):
        actions.set_protocol_template_active(template=template, by=cast.nurse, active=False)
    edit = reverse("protocol-edit", args=[template.pk])
    for url in (LIST, NEW, edit):
        assert_refused(cast, url, ["anonymous", "patient_user", "nurse"])
        assert client_for(cast, "physician").get(url).status_code == 200
        assert client_for(cast, "clinic_admin").get(url).status_code == 200
    assert_refused(cast, edit, ["other_physician"])  # another clinic's template
    york = client_for(cast, "other_physician").get(LIST).content.decode()
    assert "Protocol templates: York Neurology" in york
    assert "Temporal only" not in york


def test_edit_and_retire_on_the_pages(cast: Cast) -> None:
    client = client_for(cast, "clinic_admin")
    response = client.post(NEW, {**BODY, "max_units": "200"})
    assert response.status_code == 400
    assert "Must be between 155 and 195, got 200." in response.content.decode()
    assert not ProtocolTemplate.objects.exists()
    assert client.post(NEW, BODY).status_code == 302
    template = ProtocolTemplate.objects.get()
    edit = reverse("protocol-edit", args=[template.pk])
    assert 'value="165"' in client.get(edit).content.decode()
    response = client.post(edit, {**BODY, "max_units": "175", "max_sites": "35",
                                  "ftp_occipitalis": "2"})  # fmt: skip
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.definition == {
        "ftp_caps": {"temporalis": 2, "occipitalis": 2, "trapezius": 0},
        "max_units": 175,
        "max_sites": 35,
    }
    assert template.name == "temporal-ftp"  # the key sessions store never changes
    update = AuditEvent.objects.get(category="protocol_template", action="update")
    assert update.detail["before"]["definition"]["max_units"] == 165
    # Retired: no longer offered; shown as retired; can be used again.
    active = reverse("protocol-active", args=[template.pk])
    assert client.post(active, {"active": "0"}).status_code == 302
    assert template.key not in dict(queries.protocol_choices(cast.clinic))
    assert "retired" in client.get(LIST).content.decode()
    client.post(active, {"active": "1"})
    assert template.key in dict(queries.protocol_choices(cast.clinic))


def test_a_physician_of_two_clinics_works_in_the_one_chosen(cast: Cast) -> None:
    account_actions.grant_role(user=cast.physician, clinic=cast.other_clinic, role=Role.PHYSICIAN)
    client = client_for(cast, "physician")
    assert client.post(NEW + "?clinic=york", BODY).status_code == 302
    assert ProtocolTemplate.objects.get().clinic == cast.other_clinic
    page = client.get(LIST + "?clinic=york").content.decode()
    assert "Temporal follow-the-pain only" in page
    assert "Temporal follow-the-pain only" not in client.get(LIST).content.decode()
