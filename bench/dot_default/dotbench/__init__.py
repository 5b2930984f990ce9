"""A minimal Django project serving django-oauth-toolkit with its default settings."""
