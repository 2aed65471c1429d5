"""The clinic's Aftercare and Protocol templates pages (formerly the Django admin's).

- Aftercare advice: clinic admins. The label's advice keeps its label; the list of the
  signs of spread of toxin effect is always the label's words (clinical-reference §10).
- Protocol templates: clinic admins and physicians (`actions.PROTOCOL_EDITORS`); each is
  checked against the domain's dosing rules (`dosing.validate_protocol`).

Writes go through `cephalog.treatment.actions`; the clinic is the one the user is working
in (`?clinic=<slug>`, `accounts.access.working_clinic`).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cephalog.accounts.access import in_clinic, staff_view, working_clinic, working_clinics
from cephalog.accounts.models import Clinic, Role
from cephalog.audit.actions import record
from cephalog.core.errors import AppError
from cephalog.core.http import add_message, add_to_form
from cephalog.domain import dosing
from cephalog.domain.safety import AFTERCARE_INFORMATION, DEFAULT_AFTERCARE, Evidence
from cephalog.treatment import actions, queries
from cephalog.treatment.models import LOCKED_AFTERCARE, ProtocolTemplate

ADMIN = (Role.CLINIC_ADMIN,)
EDITORS = tuple(str(r) for r in actions.PROTOCOL_EDITORS)
_KEY = re.compile(r"^[a-z0-9_-]{1,40}$")

# --- aftercare ----------------------------------------------------------------------------------


def _aftercare_rows(
    clinic: Clinic,
    posted: dict[str, str] | None = None,
    problems: dict[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """One row per item, label guidance first: what the page shows and lets the admin edit."""
    defaults = {i.key: i for i in DEFAULT_AFTERCARE}
    rows = []
    for line in queries.aftercare(clinic):
        default = defaults.get(line.key)
        rows.append(
            {
                "key": line.key,
                "text": line.text if posted is None else posted.get(line.key, line.text),
                "label": line.evidence is Evidence.LABEL_GUIDANCE,
                "locked": line.key in LOCKED_AFTERCARE,
                "label_words": default.text if default is not None else "",
                "errors": (problems or {}).get(line.key, []),
            }
        )
    return rows


@staff_view(roles=ADMIN)
def aftercare_settings(request: HttpRequest) -> HttpResponse:
    clinic = working_clinic(request, ADMIN)
    status = 200
    posted: dict[str, str] | None = None
    problems: dict[str, list[str]] = {}
    new_text = ""
    if request.method == "POST":
        if request.POST.get("reset"):
            had = actions.reset_aftercare(clinic=clinic, by=request.user)
            messages.success(
                request,
                "Patients now see cephalog's standard aftercare advice."
                if had
                else "Patients already see the standard aftercare advice.",
            )
            return redirect(in_clinic(clinic, "aftercare-settings"))
        keys = [k for k in request.POST.getlist("key") if _KEY.match(k)]
        posted = {k: request.POST.get(f"text_{k}", "") for k in keys}
        items = [{"key": k, "text": posted[k]} for k in keys]
        new_text = request.POST.get("new_text", "").strip()
        if new_text:
            n = 1
            while f"clinic-{n}" in posted:
                n += 1
            items.append({"key": f"clinic-{n}", "text": new_text})
        try:
            actions.save_aftercare(clinic=clinic, by=request.user, items=items)
        except AppError as error:
            problems = {
                ("new" if k.startswith("clinic-") and k not in posted else k): v
                for k, v in error.by_field.items()
            }
            status = 400
        else:
            messages.success(request, "Aftercare advice saved. Patients see it from now on.")
            return redirect(in_clinic(clinic, "aftercare-settings"))
    else:
        record(action="read", category="aftercare", clinic_id=clinic.pk)
    rows = _aftercare_rows(clinic, posted, problems)
    return render(
        request,
        "treatment/aftercare_settings.html",
        {
            "clinic": clinic,
            "clinics": working_clinics(request, ADMIN),
            "information": AFTERCARE_INFORMATION,
            "label_rows": [r for r in rows if r["label"]],
            "optional_rows": [r for r in rows if not r["label"]],
            "new_text": new_text,
            "new_errors": problems.get("new", []),
            "page_errors": problems.get("", []),
            "max_text": actions.AFTERCARE_TEXT_MAX,
        },
        status=status,
    )


# --- protocol templates ---------------------------------------------------------------------------

_FIXED_UNITS = len(dosing.FIXED_SITES) * dosing.UNITS_PER_SITE


def _ftp_field(muscle: dosing.Muscle) -> forms.IntegerField:
    cap = dosing.FTP_CAPS[muscle]
    return forms.IntegerField(
        label=f"Extra follow-the-pain sites in {muscle.value}",
        initial=cap,
        help_text=f"0 to {cap}.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class ProtocolTemplateForm(forms.Form):
    name = forms.SlugField(
        label="Short name",
        max_length=30,
        help_text="Letters, numbers and dashes, for example temporal-ftp. It cannot be "
        "changed later.",
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        help_text="What staff see when they start a session.",
    )
    max_units = forms.IntegerField(
        label="Most units in one session",
        initial=dosing.MAX_SESSION_UNITS,
        help_text=f"From {_FIXED_UNITS} (the 31 fixed sites at {dosing.UNITS_PER_SITE} units "
        f"each) to {dosing.MAX_SESSION_UNITS}.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    max_sites = forms.IntegerField(
        label="Most injection sites in one session",
        initial=dosing.MAX_SESSION_SITES,
        help_text=f"From {len(dosing.FIXED_SITES)} to {dosing.MAX_SESSION_SITES}.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for muscle in dosing.FTP_CAPS:
            self.fields[f"ftp_{muscle.value}"] = _ftp_field(muscle)
        if editing:
            del self.fields["name"]

    def ftp_caps(self) -> dict[str, int]:
        return {m.value: self.cleaned_data[f"ftp_{m.value}"] for m in dosing.FTP_CAPS}

    def limits(self) -> dict[str, Any]:
        return {
            "title": self.cleaned_data["title"],
            "max_units": self.cleaned_data["max_units"],
            "max_sites": self.cleaned_data["max_sites"],
            "ftp_caps": self.ftp_caps(),
        }


def _template(clinic: Clinic, template_id: int) -> ProtocolTemplate:
    return get_object_or_404(ProtocolTemplate, pk=template_id, clinic=clinic)


def _summary(template: ProtocolTemplate) -> str:
    try:
        p = template.to_protocol()
    except Exception:  # only a row written around the actions
        return "The definition is not readable: edit it to put it right."
    extra = [f"{p.ftp_cap(m)} in {m.value}" for m in dosing.FTP_CAPS if p.ftp_cap(m)]
    return (
        f"Up to {p.max_units} units in {p.max_sites} sites; "
        + ("follow-the-pain: " + ", ".join(extra) if extra else "no follow-the-pain")
        + "."
    )


@staff_view(roles=EDITORS)
def protocol_list(request: HttpRequest) -> HttpResponse:
    clinic = working_clinic(request, EDITORS)
    templates = [
        {"t": t, "summary": _summary(t)}
        for t in ProtocolTemplate.objects.filter(clinic=clinic).order_by("-active", "name")
    ]
    record(action="read", category="protocol_template", clinic_id=clinic.pk)
    return render(
        request,
        "treatment/protocol_list.html",
        {
            "clinic": clinic,
            "clinics": working_clinics(request, EDITORS),
            "templates": templates,
            "builtin": list(dosing.PROTOCOLS.values()),
        },
    )


@staff_view(roles=EDITORS)
def protocol_new(request: HttpRequest) -> HttpResponse:
    clinic = working_clinic(request, EDITORS)
    form = ProtocolTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = actions.create_protocol_template(
                clinic=clinic, by=request.user, name=form.cleaned_data["name"], **form.limits()
            )
        except AppError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request, f"Template “{template.title}” added: staff can choose it for new sessions."
            )
            return redirect(in_clinic(clinic, "protocol-list"))
    return render(
        request,
        "treatment/protocol_form.html",
        {"clinic": clinic, "form": form, "template": None},
        status=400 if request.method == "POST" else 200,
    )


@staff_view(roles=EDITORS)
def protocol_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    clinic = working_clinic(request, EDITORS)
    template = _template(clinic, template_id)
    initial: dict[str, Any] = {"title": template.title}
    definition = template.definition if isinstance(template.definition, dict) else {}
    for key in ("max_units", "max_sites"):
        if isinstance(definition.get(key), int):
            initial[key] = definition[key]
    caps = definition.get("ftp_caps", {}) if isinstance(definition.get("ftp_caps"), dict) else {}
    for muscle in dosing.FTP_CAPS:
        initial[f"ftp_{muscle.value}"] = caps.get(muscle.value, 0)
    form = ProtocolTemplateForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.update_protocol_template(
                template=template, by=request.user, **form.limits()
            )
        except AppError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request,
                "Template saved. Sessions already started keep the limits they started with."
                if changed
                else "Nothing was changed.",
            )
            return redirect(in_clinic(clinic, "protocol-list"))
    else:
        record(
            action="read",
            category="protocol_template",
            clinic_id=clinic.pk,
            object_ref=f"protocol_template:{template.pk}",
        )
    return render(
        request,
        "treatment/protocol_form.html",
        {"clinic": clinic, "form": form, "template": template},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@staff_view(roles=EDITORS)
def protocol_active(request: HttpRequest, template_id: int) -> HttpResponse:
    clinic = working_clinic(request, EDITORS)
    template = _template(clinic, template_id)
    active = request.POST.get("active") == "1"
    try:
        actions.set_protocol_template_active(template=template, by=request.user, active=active)
    except AppError as error:
        add_message(request, error)
    else:
        messages.success(
            request,
            f"“{template.title}” can be chosen again for new sessions."
            if active
            else f"“{template.title}” retired: it is no longer offered for new sessions. "
            "Sessions that used it keep it.",
        )
    return redirect(in_clinic(clinic, "protocol-list"))
