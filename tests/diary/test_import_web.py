"""The import page for patients and clinic staff (issue 3, part 6)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cephalog.audit.models import AuditEvent
from cephalog.diary.models import Attack, DiaryEntry
from tests.personas import ALL_PERSONAS, Cast, assert_refused, client_for

FIXTURE = Path(__file__).parent / "fixtures" / "migraine_buddy_export.csv"
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
TOKEN = "0123456789abcdef0123456789abcdef"

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def upload(
    content: bytes, name: str = "export.csv", content_type: str = "text/csv"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def clinic_url(cast: Cast) -> str:
    return reverse("clinic-diary-io-import", args=[cast.patient.pk])


def test_it_imports_a_migraine_buddy_file_uploaded_by_a_nurse(cast: Cast) -> None:
    response = client_for(cast, "nurse").post(
        clinic_url(cast),
        {"kind": "migraine_buddy", "file": upload(FIXTURE.read_bytes()), "token": TOKEN},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Imported" in body
    assert "<dt>Days added</dt><dd>8</dd>" in body
    assert "<dt>Attacks added</dt><dd>6</dd>" in body
    assert "Magnesium 400mg <small>(line 3)</small>" in body
    # The form comes back with a class choice for the unknown medicine.
    assert 'name="unknown_name_0" value="Magnesium 400mg"' in body
    assert '<select name="unknown_class_0"' in body
    assert DiaryEntry.objects.filter(patient=cast.patient).count() == 8
    assert cache.get(f"diary-import:{cast.nurse.pk}:{TOKEN}") == {"state": "done"}


def test_it_lists_problems_by_line_and_stores_nothing(cast: Cast) -> None:
    text = (
        "Id,Started,Lasted,Pain Level\n"
        "1,2026-03-02 08:00,02h 00m,5\n"
        "2,2026-03-03 08:00,2 hours,5\n"
        "3,2026-03-04 08:00,02h 00m,twelve\n"
        "4,2026-03-05,02h 00m,5\n"
    )
    response = client_for(cast, "physician").post(
        clinic_url(cast), {"kind": "migraine_buddy", "file": upload(text.encode())}
    )
    body = response.content.decode()
    assert "Nothing was imported" in body
    assert "The file has 3 problems." in body
    for line in (3, 4, 5):
        assert f"<li>line {line}: " in body
    assert "<li>line 2:" not in body
    assert DiaryEntry.objects.count() == Attack.objects.count() == 0
    event = AuditEvent.objects.get(action="import")
    assert event.detail["ok"] is False
    assert event.detail["problems"] == 3


def test_it_takes_a_class_for_an_unknown_medicine_from_the_form(cast: Cast) -> None:
    client = client_for(cast, "nurse")
    client.post(
        clinic_url(cast),
        {
            "kind": "migraine_buddy",
            "file": upload(FIXTURE.read_bytes()),
            "classes": "Magnesium 400mg = other\nSomething =\n",
        },
    )
    entry = DiaryEntry.objects.get(patient=cast.patient, date=dt.date(2026, 3, 4))
    assert [m.name for m in entry.medications.all()] == ["Ibuprofen 400mg", "Magnesium 400mg"]
    bad = client.post(
        clinic_url(cast),
        {"kind": "migraine_buddy", "file": upload(FIXTURE.read_bytes()), "classes": "x = pills"},
    )
    assert "“pills” is not one of the kinds." in bad.content.decode()


def test_it_takes_the_kind_of_medicine_in_plain_words(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    page = client.get("/me/diary-data/import/").content.decode()
    assert "simple_analgesic" not in page
    assert "combination painkiller" in page
    from cephalog.diary.io_views import ImportForm

    form = ImportForm(
        {
            "kind": "migraine_buddy",
            "classes": "Migrastop = painkiller\nDuo = Combination painkiller",
        }
    )
    form.is_valid()
    assert form.cleaned_data["classes"] == {
        "migrastop": "simple_analgesic",
        "duo": "combination_analgesic",
    }


def test_it_refuses_a_file_that_is_not_csv_or_too_large(cast: Cast) -> None:
    client = client_for(cast, "nurse")
    png = client.post(
        clinic_url(cast),
        {"kind": "cephalog", "file": upload(b"\x89PNG", "scan.png", "image/png")},
    )
    assert "Only CSV files (.csv) can be imported." in png.content.decode()
    large = client.post(
        clinic_url(cast),
        {"kind": "cephalog", "file": upload(b"date,headache_hours\n" + b"0" * (5 * 1024 * 1024))},
    )
    assert "The file is larger than 5 MB." in large.content.decode()
    assert DiaryEntry.objects.count() == 0


def test_it_lets_the_patient_import_recent_days_and_explains_the_lock(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    page = client.get(reverse("diary-io-import"))
    assert page.status_code == 200
    assert "Your diary accepts days from 13 Mar 2026" in page.content.decode()
    old = client.post(
        reverse("diary-io-import"),
        {"kind": "migraine_buddy", "file": upload(FIXTURE.read_bytes())},
    )
    assert "are locked; please ask your clinic" in old.content.decode()
    recent = "date,headache_hours,peak_intensity\n2026-03-19,3,mild\n2026-03-20,0,\n"
    ok = client.post(
        reverse("diary-io-import"), {"kind": "cephalog", "file": upload(recent.encode())}
    )
    assert "<dt>Days added</dt><dd>2</dd>" in ok.content.decode()
    assert DiaryEntry.objects.filter(patient=cast.patient, source="import").count() == 2


def test_it_answers_htmx_with_the_result_fragment(cast: Cast) -> None:
    response = client_for(cast, "nurse").post(
        clinic_url(cast),
        {"kind": "migraine_buddy", "file": upload(FIXTURE.read_bytes())},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert body.lstrip().startswith("<section")
    assert "<html" not in body
    assert 'id="import-form"' in body


def test_it_shows_progress_only_to_the_user_who_runs_the_import(cast: Cast) -> None:
    cache.set(
        f"diary-import:{cast.nurse.pk}:{TOKEN}", {"state": "writing", "done": 300, "total": 1200}
    )
    url = reverse("diary-io-import-status", args=[TOKEN])
    mine = client_for(cast, "nurse").get(url).content.decode()
    assert "Importing: 300 of 1200" in mine
    assert 'hx-trigger="load delay:1s"' in mine
    theirs = client_for(cast, "physician").get(url).content.decode()
    assert "Uploading" in theirs
    assert "300" not in theirs
    assert (
        client_for(cast, "nurse")
        .get(reverse("diary-io-import-status", args=["x" * 32]))
        .status_code
        == 404
    )
    assert client_for(cast, "anonymous").get(url).status_code == 302


def test_it_refuses_the_import_pages_to_everyone_else(cast: Cast) -> None:
    refused = [p for p in ALL_PERSONAS if p not in ("nurse", "physician")]
    assert_refused(cast, clinic_url(cast), refused, secrets=["Quill"])
    assert_refused(
        cast,
        clinic_url(cast),
        refused,
        method="post",
        data={"kind": "cephalog", "file": upload(b"date,headache_hours\n2026-03-19,0\n")},
    )
    assert DiaryEntry.objects.count() == 0
    assert_refused(
        cast, reverse("diary-io-import"), ["anonymous", "nurse", "physician", "clinic_admin"]
    )


APP_FIXTURES = Path(__file__).parent / "fixtures" / "migraine_buddy"


def test_it_classifies_an_unknown_medicine_chosen_on_the_page(cast: Cast) -> None:
    client = client_for(cast, "nurse")
    response = client.post(
        clinic_url(cast),
        {
            "kind": "migraine_buddy",
            "file": upload(FIXTURE.read_bytes()),
            "unknown_name_0": "Magnesium 400mg",
            "unknown_class_0": "other",
        },
    )
    assert response.status_code == 200
    assert "Medicines not imported" not in response.content.decode()
    entry = DiaryEntry.objects.get(patient=cast.patient, date=dt.date(2026, 3, 4))
    assert [m.drug_class for m in entry.medications.all()] == ["simple_analgesic", "other"]


def test_it_asks_for_the_date_order_on_the_page_and_takes_the_answer(cast: Cast) -> None:
    client = client_for(cast, "nurse")
    content = (APP_FIXTURES / "ambiguous_export.csv").read_bytes()
    asked = client.post(clinic_url(cast), {"kind": "migraine_buddy", "file": upload(content)})
    body = asked.content.decode()
    assert "Nothing was imported" in body
    assert "read as month/day or as day/month" in body
    assert 'name="date_order" value="dmy"' in body
    assert not DiaryEntry.objects.filter(patient=cast.patient).exists()
    answered = client.post(
        clinic_url(cast),
        {"kind": "migraine_buddy", "file": upload(content), "date_order": "dmy"},
    )
    assert "Imported" in answered.content.decode()
    assert set(DiaryEntry.objects.filter(patient=cast.patient).values_list("date", flat=True)) == {
        dt.date(2026, 2, 3),
        dt.date(2026, 3, 1),
    }


def test_it_lists_what_was_not_imported_and_the_differences_kept(cast: Cast) -> None:
    content = (APP_FIXTURES / "uk_export.csv").read_bytes()
    with time_machine.travel(dt.datetime(2026, 4, 2, 12, tzinfo=dt.UTC), tick=False):
        client = client_for(cast, "nurse")
        first = client.post(clinic_url(cast), {"kind": "migraine_buddy", "file": upload(content)})
        body = first.content.decode()
        assert "Not imported from this file" in body
        assert "column &quot;Geohash&quot;" in body
        assert "line 2: ongoing event (not a diary fact)" in body
        attack = Attack.objects.get(patient=cast.patient, start__day=14)
        Attack.objects.filter(pk=attack.pk).update(peak_intensity="severe")
        again = client.post(clinic_url(cast), {"kind": "migraine_buddy", "file": upload(content)})
        assert "Kept as recorded (1)" in again.content.decode()
        attack.refresh_from_db()
        assert attack.peak_intensity == "severe"
        confirmed = client.post(
            clinic_url(cast), {"kind": "migraine_buddy", "file": upload(content), "confirm": "on"}
        )
        assert "Kept as recorded" not in confirmed.content.decode()
        attack.refresh_from_db()
        assert attack.peak_intensity == "moderate"
