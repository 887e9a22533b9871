"""gunicorn settings of the production image.

The access log carries every request line with its query string (an admin search by ID number,
say), so gunicorn's own loggers go through the same masking filter as the portal's
(yiling.privacy.RedactingFilter): no full ID number or phone reaches a log.
"""

bind = "0.0.0.0:8000"
workers = 3
timeout = 60
accesslog = "-"

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "yiling.privacy.RedactingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
            "stream": "ext://sys.stderr",
        },
        "access": {"class": "logging.StreamHandler", "filters": ["redact"], "stream": "ext://sys.stdout"},
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}
