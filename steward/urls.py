from django.urls import include, path

from steward.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("steward.core.urls")),
    path("", include("steward.accounts.urls")),
    path("", include("steward.customers.urls")),
]
