"""Saying once what is wrong with a whole batch: bundles imported with the key of another exam.

Forty bundles checked against the wrong key file are forty rejections with the same cause; the
person importing needs one sentence naming which exam and package the bundles belong to and which
ones the key is for. The bundles' own claims are read from their signed manifests (signature and
hashes checked, nothing else): enough to name them, never enough to import them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from exam_desktop.core.sealed.bundle import BundleRejected, read_bundle
from exam_desktop.core.sealed.package import GraderKey
from exam_desktop.grading.importer import ImportResult, read_bundle_file

# The reasons `read_bundle` gives when a genuine bundle does not belong to the key's package.
FOREIGN_REASONS = ("wrong exam", "wrong package")


@dataclass(frozen=True)
class Diagnosis:
    sentences: list[str]  # one per exam/package the foreign bundles belong to
    explained: list[ImportResult]  # the rejections these sentences account for


def diagnose_foreign_bundles(results: list[ImportResult], key: GraderKey, key_path: Path) -> Diagnosis:
    """One sentence per exam package that rejected bundles belong to instead of the key's."""
    claims: Counter[tuple[str, str]] = Counter()
    explained = []
    for result in results:
        if result.outcome != "rejected" or not result.reason.startswith(FOREIGN_REASONS):
            continue
        try:
            bundle = read_bundle(read_bundle_file(Path(result.source)))
        except BundleRejected:
            continue
        claims[(bundle.exam_id, bundle.package_hash)] += 1
        explained.append(result)
    mine = f"exam {key.exam.id}, package {key.package_hash[:12]}…"
    sentences = []
    for (exam_id, package_hash), count in claims.most_common():
        these = "This bundle belongs" if count == 1 else f"These {count} bundles belong"
        sentences.append(
            f"{these} to exam {exam_id}, package {package_hash[:12]}…; the key file {key_path} is "
            f"for {mine}. Import them with the key file built with their package "
            "(or into another database with --db)."
        )
    return Diagnosis(sentences, explained)
