"""The session page's form fields, rendered once per value (treatment_tags.field_group)."""

from __future__ import annotations

from cephalog.treatment.forms import AddendumForm, CancelForm, CompleteForm, VialForm
from cephalog.treatment.templatetags import treatment_tags
from cephalog.treatment.templatetags.treatment_tags import field_group


def test_it_renders_exactly_what_django_renders() -> None:
    for form in (
        VialForm(initial={"reconstituted_at": "2026-03-10T09:00"}),
        CompleteForm(initial={"topical_anaesthetic": "none", "notes": "tolerated well"}),
        AddendumForm(),
        CancelForm(),
    ):
        for name in form.fields:
            fresh = form[name].as_field_group()
            assert field_group(form[name]) == fresh  # first time: rendered and kept
            assert field_group(form[name]) == fresh  # again: the kept copy


def test_a_new_value_renders_anew() -> None:
    first = field_group(
        VialForm(initial={"reconstituted_at": "2026-03-10T09:00"})["reconstituted_at"]
    )
    later = field_group(
        VialForm(initial={"reconstituted_at": "2026-03-10T09:01"})["reconstituted_at"]
    )
    assert 'value="2026-03-10T09:00"' in first
    assert 'value="2026-03-10T09:01"' in later


def test_notes_and_bound_forms_are_never_kept() -> None:
    treatment_tags._kept.clear()
    field_group(CompleteForm(initial={"notes": "patient-specific words"})["notes"])
    assert not any("patient-specific" in html for html in treatment_tags._kept.values())
    bound = VialForm({"lot": ""})
    html = field_group(bound["lot"])
    assert "This field is required." in html  # the user's errors shown
    assert not treatment_tags._kept


def test_it_keeps_a_bounded_number() -> None:
    treatment_tags._kept.clear()
    for minute in range(treatment_tags.MAX_KEPT + 10):
        form = VialForm(
            initial={"reconstituted_at": f"2026-03-10T{minute // 60:02}:{minute % 60:02}"}
        )
        field_group(form["reconstituted_at"])
    assert len(treatment_tags._kept) <= treatment_tags.MAX_KEPT
