from django.urls import path

from steward.field import tech_views

app_name = "field_tech"

urlpatterns = [
    path("tech/", tech_views.today, name="today"),
    path("tech/jobs/<int:pk>/", tech_views.job, name="job"),
    path("tech/jobs/<int:pk>/move/", tech_views.move, name="move"),
    path("tech/jobs/<int:pk>/note/", tech_views.note, name="note"),
    path("tech/jobs/<int:pk>/photo/", tech_views.photo, name="photo"),
    path("tech/jobs/<int:pk>/complete/", tech_views.complete, name="complete"),
    path("tech/jobs/<int:pk>/incomplete/", tech_views.incomplete, name="incomplete"),
]
