from django.urls import path

from steward.quality import views

app_name = "quality"
urlpatterns = [
    # The survey link in the customer's mail: short, public, the token is the key.
    path("s/<str:token>/", views.survey_answer, name="survey_answer"),
    path("s/<str:token>/thanks/", views.survey_thanks, name="survey_thanks"),
    path("quality/surveys/", views.survey_list, name="survey_list"),
]
