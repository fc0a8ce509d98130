"""Comparing record scans (``tfevents.records.RecordScan``) field by field."""

from __future__ import annotations


def scan_fields(scan) -> tuple:
    """Every field of a scan, as plain Python values (arrays as lists)."""
    return (
        scan.starts.tolist(),
        scan.lengths.tolist(),
        scan.end,
        scan.corrupt_at,
        scan.resync,
        scan.wait_for,
        scan.corrupt_why,
    )
