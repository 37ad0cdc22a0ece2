from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.files.local_views import local_download, local_upload
from apps.files.views import FileViewSet, UploadPolicyView

router = SimpleRouter()
router.register("", FileViewSet, basename="files")

urlpatterns = [
    path("policy/", UploadPolicyView.as_view(), name="files-upload-policy"),
    path("local/upload/", local_upload, name="files-local-upload"),
    path("local/download/<str:token>/", local_download, name="files-local-download"),
    *router.urls,
]
