from django.urls import path

from apps.core.views import LivenessView, ReadinessView

urlpatterns = [
    path("", LivenessView.as_view(), name="health-live"),
    path("ready/", ReadinessView.as_view(), name="health-ready"),
]
