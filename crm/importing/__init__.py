"""Import of platform export files: see pipeline.import_file."""
from .errors import Refused
from .pipeline import ImportResult, Preview, import_file, import_files, preview_file, save_mapping
from .specs import CANONICAL_FIELDS, FORMAT_NAMES, SPECS, SPECS_BY_NAME

__all__ = ["Refused", "ImportResult", "Preview", "import_file", "import_files", "preview_file",
           "save_mapping", "CANONICAL_FIELDS", "FORMAT_NAMES", "SPECS", "SPECS_BY_NAME"]
