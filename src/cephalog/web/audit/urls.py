from django.urls import path

from cephalog.web.audit import views

urlpatterns = [path("audit/", views.audit_report, name="audit-report")]
