"""The table registry: declared once, generating schemas, comments, datapackage and docs."""

from .fields import FIELDS
from .model import Field, Table
from .tables import DATA_MODEL_VERSION, TABLES, staged

__all__ = ["DATA_MODEL_VERSION", "FIELDS", "TABLES", "Field", "Table", "staged"]
