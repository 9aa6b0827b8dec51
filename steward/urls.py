from django.urls import include, path, re_path

from steward.api import api, api_not_found

urlpatterns = [
    path("api/v1/", api.urls),
    # Anything else under the API prefix answers in the API's error shape, not an HTML page.
    re_path(r"^api/v1/.*$", api_not_found),
    path("", include("steward.core.urls")),
    path("", include("steward.accounts.urls")),
    path("", include("steward.customers.urls")),
    path("", include("steward.catalog.urls")),
    path("", include("steward.desk.urls")),
    path("", include("steward.quality.urls")),
    path("", include("steward.field.urls")),
    path("", include("steward.field.tech_urls")),
    path("", include("steward.planning.urls")),
    path("", include("steward.analytics.urls")),
    path("", include("steward.desk.portal_urls")),
    path("", include("steward.desk.mail.urls")),
    path("", include("steward.dispatch.urls")),
]
