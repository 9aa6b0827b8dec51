from django.urls import path

from steward.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("calendars/", views.calendar_list, name="calendar_list"),
    path("calendars/new/", views.calendar_edit, name="calendar_create"),
    path("calendars/<int:pk>/", views.calendar_detail, name="calendar_detail"),
    path("calendars/<int:pk>/edit/", views.calendar_edit, name="calendar_edit"),
]
