"""Small page-level operations on pypdf pages: private resources, extra content, flattening."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pypdf import PageObject, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
)


def own_resources(page: PageObject) -> DictionaryObject:
    """Give the page private copies of its resource dictionaries, and return them.

    Pages copied from one source share them: anything added to a shared dictionary (a stamp's
    font, a flattened appearance) would change every sibling page behind its back.
    """
    resources = page.get("/Resources")
    source = resources.get_object() if resources is not None else DictionaryObject()
    copy = DictionaryObject()
    for key, value in source.items():
        target = value.get_object()
        copy[NameObject(key)] = DictionaryObject(target) if isinstance(
            target, DictionaryObject) else value
    page[NameObject("/Resources")] = copy
    return copy


def add_resource(page: PageObject, kind: str, name: str, ref: PdfObject) -> None:
    """Set /Resources/kind/name on a page, in a copy private to the page."""
    resources = own_resources(page)
    entries = resources.get(kind)
    entries = DictionaryObject(entries.get_object()) if entries else DictionaryObject()
    entries[NameObject(name)] = ref
    resources[NameObject(kind)] = entries


def add_stream(writer: PdfWriter, data: bytes) -> IndirectObject:
    """A new compressed stream object in `writer`."""
    stream = DecodedStreamObject()
    stream.set_data(data)
    # pypdf has no public name for registering a new object; _add_object is its protocol's.
    return writer._add_object(stream.flate_encode())


def append_content(writer: PdfWriter, page: PageObject, content: bytes,
                   save: IndirectObject | None = None) -> bool:
    """Draw `content` after the page's own, which is wrapped in q/Q and left as it is.

    `save` is a shared "q" stream, if the caller has one. Returns True when the page's own
    content is not compressed (the caller may compress it).
    """
    contents = page.get("/Contents")
    resolved = contents.get_object() if contents is not None else None
    parts = list(resolved) if isinstance(resolved, ArrayObject) else (
        [contents] if contents is not None else [])
    raw = any("/Filter" not in part.get_object() for part in parts)
    page[NameObject("/Contents")] = ArrayObject(
        [save or add_stream(writer, b"q\n"), *parts, add_stream(writer, b"\nQ\n" + content)])
    return raw


@dataclass(frozen=True)
class Appearance:
    stream: IndirectObject  # the widget's normal appearance, a Form XObject
    rect: tuple[float, float, float, float]


def _is_signature_widget(annotation: DictionaryObject) -> bool:
    if annotation.get("/Subtype") != "/Widget":
        return False
    parent = annotation.get("/Parent")
    field_type = annotation.get("/FT") or (parent.get_object().get("/FT") if parent else None)
    return field_type == "/Sig"


def take_signature_widgets(page: PageObject) -> list[Appearance]:
    """Remove the signature widgets from a page (of a reader) and return their appearances.

    Copied into another document a signature no longer covers its bytes, and viewers report it
    as broken; its stamp, drawn into the page with draw_appearances, stays visible.
    """
    annotations = page.get("/Annots")
    if annotations is None:
        return []
    kept = ArrayObject()
    taken: list[Appearance] = []
    for ref in annotations.get_object():
        annotation = ref.get_object()
        if not _is_signature_widget(annotation):
            kept.append(ref)
            continue
        normal = annotation.get("/AP", DictionaryObject()).get_object().get("/N")
        if isinstance(normal, IndirectObject):
            x1, y1, x2, y2 = (float(v) for v in annotation["/Rect"])
            taken.append(Appearance(normal, (min(x1, x2), min(y1, y2), max(x1, x2),
                                             max(y1, y2))))
    if kept:
        page[NameObject("/Annots")] = kept
    else:
        del page["/Annots"]
    return taken


def draw_appearances(writer: PdfWriter, page: PageObject, appearances: list[Appearance]) -> None:
    """Draw each appearance into the page's content at its rectangle (PDF 32000 12.5.5)."""
    commands = []
    for i, appearance in enumerate(appearances):
        form: Any = appearance.stream.get_object()
        ref = form.clone(writer).indirect_reference
        name = f"/OdrSignature{i}"
        add_resource(page, "/XObject", name, ref)
        a, b, c, d, e, f = (float(v) for v in form.get("/Matrix", [1, 0, 0, 1, 0, 0]))
        bx1, by1, bx2, by2 = (float(v) for v in form["/BBox"])
        corners = [(a * x + c * y + e, b * x + d * y + f) for x in (bx1, bx2) for y in (by1, by2)]
        left, bottom = min(p[0] for p in corners), min(p[1] for p in corners)
        width = max(p[0] for p in corners) - left or 1.0
        height = max(p[1] for p in corners) - bottom or 1.0
        x1, y1, x2, y2 = appearance.rect
        sx, sy = (x2 - x1) / width, (y2 - y1) / height
        commands.append(f"q {sx:.5f} 0 0 {sy:.5f} {x1 - sx * left:.3f} {y1 - sy * bottom:.3f} cm "
                        f"{name} Do Q")
    if commands:
        append_content(writer, page, "\n".join(commands).encode() + b"\n")
