from django.urls import path

from steward.analytics import views

app_name = "analytics"
urlpatterns = [
    path("analytics/", views.overview, name="overview"),
    path("analytics/kpi/<str:name>/", views.kpi_detail, name="kpi"),
    path("analytics/kpi/<str:name>/csv/", views.kpi_csv, name="kpi_csv"),
    path("analytics/kpi/<str:name>/rows/", views.kpi_rows, name="kpi_rows"),
    path("analytics/teams/<int:pk>/", views.team_view, name="team"),
    path("analytics/technicians/<int:pk>/", views.technician_view, name="technician"),
    path("analytics/accounts/<int:pk>/", views.account_view, name="account"),
    path("analytics/accounts/<int:pk>/report.pdf", views.account_report_pdf, name="account_pdf"),
    path("analytics/pareto/<str:analysis>/", views.pareto, name="pareto"),
    path("analytics/goals/", views.goals, name="goals"),
    path("analytics/goals/<int:pk>/delete/", views.goal_delete, name="goal_delete"),
    path("analytics/subscription/", views.subscription, name="subscription"),
]
