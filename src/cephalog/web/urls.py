from django.urls import path

from cephalog.diary import views as diary_views

# The patient's home is the diary home; this name is kept for links and redirects.
urlpatterns = [
    path("", diary_views.home, name="patient-home"),
]
