from django.urls import path

from cephalog.web import views

urlpatterns = [
    path("", views.patient_home, name="patient-home"),
]
