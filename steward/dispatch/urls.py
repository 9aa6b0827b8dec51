from django.urls import path

from steward.dispatch import views

app_name = "dispatch"
urlpatterns = [
    path("dispatch/", views.board_page, name="board"),
    path("dispatch/plans/", views.plan_create, name="plan_create"),
    path("dispatch/plans/<int:pk>/progress/", views.plan_progress, name="plan_progress"),
    path("dispatch/plans/<int:pk>/publish/", views.plan_publish, name="plan_publish"),
    path("dispatch/plans/<int:pk>/move/", views.plan_move, name="plan_move"),
    path("dispatch/urgent/", views.urgent, name="urgent"),
    path("dispatch/work-orders/<int:pk>/slots/", views.slots_panel, name="slots"),
    path("dispatch/work-orders/<int:pk>/book/", views.book, name="book"),
    path("portal/visits/<int:pk>/book/", views.portal_slots, name="portal_slots"),
]
