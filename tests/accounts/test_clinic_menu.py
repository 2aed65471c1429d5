"""The clinic menu links every clinic page its reader may use, and no other."""

from __future__ import annotations

from django.urls import reverse

from tests.personas import Cast, client_for


def _menu(cast: Cast, persona: str) -> str:
    page = client_for(cast, persona).get(reverse("patient-list")).content.decode()
    return page[page.index('<nav aria-label="Main">') : page.index("</nav>")]


def test_the_fhir_import_page_is_in_the_menu_of_the_staff_who_may_use_it(cast: Cast) -> None:
    link = f'href="{reverse("clinic-fhir-import")}"'
    for persona in ("nurse", "physician", "clinic_admin", "other_physician"):
        assert link in _menu(cast, persona), persona
        assert client_for(cast, persona).get(reverse("clinic-fhir-import")).status_code == 200
    patient_page = client_for(cast, "patient_user").get("/me/").content.decode()
    assert link not in patient_page


def test_settings_for_clinic_admins_and_protocols_for_physicians(cast: Cast) -> None:
    settings = f'href="{reverse("clinic-settings")}"'
    protocols = f'href="{reverse("protocol-list")}"'
    assert settings in _menu(cast, "clinic_admin")
    assert protocols in _menu(cast, "physician")
    nurse = _menu(cast, "nurse")
    assert settings not in nurse
    assert protocols not in nurse
    page = client_for(cast, "clinic_admin").get(reverse("clinic-settings")).content.decode()
    for name in ("safety-settings", "aftercare-settings", "protocol-list", "content-packs"):
        assert f'href="{reverse(name)}?clinic=leeds"' in page, name
