"""presence-server: the service that owns contact-center agent status."""

__version__ = "0.1.0"
