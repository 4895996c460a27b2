"""Django settings for the shop."""

import os

import environ

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-9x!2kq#shop")
DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = ["shop.example.com", "203.0.113.10", "localhost"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "shop",
        "PASSWORD": "Sup3r-S3cret-2024",
        "HOST": os.environ.get("DB_HOST", "localhost"),
    }
}

PAYMENTS_API_KEY = env("PAYMENTS_API_KEY")
OPENROUTER_API_KEY = env("OPENAI_API_KEY")
SENTRY_DSN = "https://0123456789abcdef0123456789abcdef@o12345.ingest.sentry.io/67890"

CORS_ALLOW_ALL_ORIGINS = True
OPENAI_API_KEY = env("OPENAI_API_KEY")
