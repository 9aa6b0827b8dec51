from django.urls import path

from steward.planning import views

app_name = "planning"
urlpatterns = [
    path("planning/", views.planning_home, name="home"),
    path("planning/plan/", views.plan_now, name="plan_now"),
    path("planning/field/", views.field_home, name="field"),
    path("planning/field/plan/", views.field_plan_now, name="field_plan_now"),
    path("planning/runs/<int:run_id>/scenarios/", views.scenario_create, name="scenario_create"),
]
