"""The committed sample shop (sample_data/taobao), importable in one click or one call."""
from __future__ import annotations

from pathlib import Path

from .db import PROJECT_ROOT, Database
from .importing import ImportResult, import_file

SAMPLE_DIR = PROJECT_ROOT / "sample_data" / "taobao"
_ORDER = ("ExportOrderList", "ExportOrderDetailList", "会员信息")


def sample_files(directory: Path = SAMPLE_DIR) -> list[Path]:
    """Orders first, then items (they link to orders), then members."""
    files = [p for p in directory.iterdir() if p.suffix.lower() in (".csv", ".xlsx")] if directory.exists() else []

    def rank(p: Path) -> int:
        for i, prefix in enumerate(_ORDER):
            if p.name.startswith(prefix) and not (prefix == "ExportOrderList" and p.name.startswith("ExportOrderDetail")):
                return i
        return len(_ORDER)
    return sorted(files, key=lambda p: (rank(p), p.name))


def load_sample(db: Database, progress=None) -> list[ImportResult]:
    files = sample_files()
    results = []
    for i, f in enumerate(files):
        def step(frac, stage, i=i):
            if progress:
                progress((i + frac) / len(files), stage)
        results.append(import_file(db, f, progress=step))
    return results
