from django.urls import path

from cephalog.accounts import views as account_views
from cephalog.diary import views as diary_views
from cephalog.web import views as web_views

# The patient's home is the diary home; this name is kept for links and redirects.
urlpatterns = [
    path("", diary_views.home, name="patient-home"),
    path("more/", web_views.patient_more, name="patient-more"),
    path("security/", account_views.security, name="my-security"),
]
