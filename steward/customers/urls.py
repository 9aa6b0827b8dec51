from django.urls import path

from steward.customers import views

app_name = "customers"
urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_edit, name="account_create"),
    path("accounts/import/", views.import_view, name="import"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:account_pk>/contacts/new/", views.contact_edit, name="contact_create"),
    path("accounts/<int:account_pk>/contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("accounts/<int:account_pk>/sites/new/", views.site_edit, name="site_create"),
    path("accounts/<int:account_pk>/assets/new/", views.asset_edit, name="asset_create"),
    path("sites/", views.site_list, name="site_list"),
    path("sites/<int:pk>/", views.site_detail, name="site_detail"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site_edit"),
    path("assets/", views.asset_list, name="asset_list"),
    path("assets/<int:pk>/", views.asset_detail, name="asset_detail"),
    path("assets/<int:pk>/edit/", views.asset_edit, name="asset_edit"),
]
