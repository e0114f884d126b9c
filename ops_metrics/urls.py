"""Routes of the ops API."""
urlpatterns: list = []
