from django.urls import reverse

from tests.personas import ALL_PERSONAS, STAFF, Cast, assert_allowed, assert_refused, client_for


def test_it_shows_the_patient_list_only_to_staff(cast: Cast) -> None:
    url = reverse("patient-list")
    assert_allowed(cast, url, STAFF, contains="Quill")
    assert_refused(
        cast,
        url,
        ["anonymous", "patient_user", "other_patient_user"],
        secrets=["Quill", "MRN-1001"],
    )


def test_it_lists_only_the_staff_members_own_clinic(cast: Cast) -> None:
    body = client_for(cast, "physician").get(reverse("patient-list")).content.decode()
    assert "Quill" in body
    assert "Tarrant" in body
    assert "Vantablack" not in body
    other = client_for(cast, "other_physician").get(reverse("patient-list")).content.decode()
    assert "Vantablack" in other
    assert "Quill" not in other


def test_it_searches_by_name_and_mrn(cast: Cast) -> None:
    client = client_for(cast, "nurse")
    body = client.post(reverse("patient-list"), {"q": "MRN-1002"}).content.decode()
    assert "Tarrant" in body
    assert "Quill" not in body


def test_it_refuses_the_chart_to_everyone_but_the_clinic_staff(cast: Cast) -> None:
    url = reverse("patient-chart", args=[cast.patient.pk])
    assert_allowed(cast, url, STAFF, contains="MRN-1001")
    refused = [p for p in ALL_PERSONAS if p not in STAFF]
    assert_refused(cast, url, refused, secrets=["Quill", "MRN-1001"])


def test_it_answers_404_for_a_chart_that_does_not_exist(cast: Cast) -> None:
    url = reverse("patient-chart", args=["00000000-0000-4000-8000-000000000000"])
    assert_refused(cast, url, ALL_PERSONAS)


def test_it_routes_home_by_role(cast: Cast) -> None:
    assert client_for(cast, "physician").get("/")["Location"] == reverse("patient-list")
    assert client_for(cast, "patient_user").get("/")["Location"] == reverse("patient-home")
    assert client_for(cast, "anonymous").get("/")["Location"] == reverse("login")


def test_it_shows_the_patient_home_only_to_a_patient(cast: Cast) -> None:
    url = reverse("patient-home")
    assert_allowed(cast, url, ["patient_user"], contains="Ada")
    assert_refused(cast, url, ["anonymous", *STAFF, "other_physician"])


def test_it_keeps_search_terms_out_of_the_url(cast: Cast) -> None:
    client = client_for(cast, "nurse")
    # A name in the query string is ignored: searches are POSTed, never logged as URLs.
    body = client.get(reverse("patient-list"), {"q": "Tarrant"}).content.decode()
    assert "Quill" in body
    page = client.get(reverse("patient-list")).content.decode()
    assert 'method="post" role="search"' in page
