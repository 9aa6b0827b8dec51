from django.urls import path

from steward.desk.mail import views

app_name = "mail"
urlpatterns = [
    path("desk/mail/", views.triage_list, name="triage_list"),
    path("desk/mail/<int:pk>/", views.triage_detail, name="triage_detail"),
    path("desk/mail/<int:pk>/raw/", views.raw_download, name="raw_download"),
]
