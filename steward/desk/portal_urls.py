from django.urls import path

from steward.desk import portal_views as views

app_name = "portal"
urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/requests/", views.request_list, name="request_list"),
    path("portal/requests/new/", views.request_create, name="request_create"),
    path("portal/requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("portal/requests/<int:pk>/reply/", views.request_reply, name="request_reply"),
    path("portal/requests/<int:pk>/close/", views.request_close, name="request_close"),
    path("portal/requests/<int:pk>/reopen/", views.request_reopen, name="request_reopen"),
]
