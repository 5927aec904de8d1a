"""Every exported QTI item of every bank is valid against the official 1EdTech QTI 2.1 and 2.2
schemas (and the package's manifest against IMS Content Packaging), and a player can show its
explanation: a declared FEEDBACK outcome that the response processing sets."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from conftest import BANKS, shared_path

from exam_desktop.core.bank import load_bank
from exam_desktop.interchange import export_exam

etree = pytest.importorskip("lxml.etree", reason="lxml validates against the QTI schemas")

DATA = Path(__file__).resolve().parent.parent / "data" / "interchange"
BANK_FILES = sorted(BANKS.glob("*.md")) + sorted(DATA.glob("*.md"))
QTI21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI22 = "http://www.imsglobal.org/xsd/imsqti_v2p2"


@pytest.fixture(scope="module")
def schemas():
    folder = shared_path("schemas", "qti")
    parser = etree.XMLParser(no_network=True, resolve_entities=False)

    def load(relative: str):
        return etree.XMLSchema(etree.parse(str(folder / relative), parser))

    return {
        "2.1": load("qtiv2p1/imsqti_v2p1.xsd"),
        "2.2": load("qtiv2p2/imsqti_v2p2.xsd"),
        "cp": load("imscp_v1p1.xsd"),
    }


def _errors(schema, document) -> str:
    schema.validate(document)
    return "; ".join(f"line {e.line}: {e.message}" for e in schema.error_log)


@pytest.mark.parametrize("bank", BANK_FILES, ids=lambda p: p.name)
def test_every_exported_item_is_valid_qti_2_1_and_2_2(bank: Path, schemas) -> None:
    exam = load_bank(bank)
    exported = export_exam(exam, "qti")
    with zipfile.ZipFile(io.BytesIO(exported.data)) as package:
        manifest = etree.fromstring(package.read("imsmanifest.xml"))
        assert not _errors(schemas["cp"], manifest)
        items = [n for n in package.namelist() if n.startswith("items/") and n.endswith(".xml")]
        assert len(items) == exported.questions > 0
        for name in items:
            data = package.read(name)
            assert not _errors(schemas["2.1"], etree.fromstring(data)), name
            as_22 = etree.fromstring(data.replace(QTI21.encode(), QTI22.encode()))
            assert not _errors(schemas["2.2"], as_22), name
            _explanation_is_shown(etree.fromstring(data), name)
        listed = [f.get("href") for f in manifest.iter("{*}file")]
        assert set(listed) <= set(package.namelist())  # every file the manifest lists is there
    lost = {item.question for item in exported.report.items if "not exported" in item.message}
    assert len(items) + len(lost) == len(exam.questions)


def _explanation_is_shown(item, name: str) -> None:
    feedback = item.findall(f"{{{QTI21}}}modalFeedback") + list(item.iter(f"{{{QTI21}}}feedbackInline"))
    if not feedback:
        return
    declared = [o.get("identifier") for o in item.findall(f"{{{QTI21}}}outcomeDeclaration")]
    assert "FEEDBACK" in declared, name
    set_by = [e for e in item.iter(f"{{{QTI21}}}setOutcomeValue") if e.get("identifier") == "FEEDBACK"]
    assert set_by, f"{name}: nothing sets FEEDBACK"
    for modal in item.findall(f"{{{QTI21}}}modalFeedback"):
        values = [v.text for e in set_by for v in e.iter(f"{{{QTI21}}}baseValue")]
        assert modal.get("identifier") in values, name
