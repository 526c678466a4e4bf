"""lfadmin: administer a Langflow server through its own database."""

__version__ = "0.1.0"
