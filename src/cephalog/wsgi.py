import os

from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cephalog.settings")
application = get_wsgi_application()

# Import every view now rather than on a worker's first request, which would otherwise
# wait for seconds (the dashboards import polars, the API ninja and pydantic). With
# `gunicorn --preload` this happens once, before the workers are forked.
get_resolver().url_patterns  # noqa: B018 - loading them is the point
connections.close_all()  # a connection opened meanwhile must not be shared by forked workers
