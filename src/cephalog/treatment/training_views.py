"""Recording an injector's training, from the clinic admin's Staff page (issue 17).

The Staff page is the accounts app's; the training record is treatment's (it decides who may
inject unsupervised), so the form posts here and comes back to the staff member's page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cephalog.accounts import staff_queries
from cephalog.accounts.access import in_clinic, staff_view, working_clinic
from cephalog.accounts.staff_forms import TrainingForm
from cephalog.core.http import add_messages
from cephalog.treatment.actions import record_injector_training


@require_POST
@staff_view(roles=("clinic_admin",))
def staff_training(request: HttpRequest, user_id: int) -> HttpResponse:
    clinic = working_clinic(request, ("clinic_admin",))
    user = staff_queries.member_of(clinic, user_id)
    form = TrainingForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[field].label}: {error}")
    else:
        try:
            record_injector_training(clinic=clinic, by=request.user, user=user, **form.cleaned_data)
        except ValidationError as error:
            add_messages(request, error)
        else:
            messages.success(request, "Training recorded.")
    return redirect(in_clinic(clinic, "staff-member", user_id))
