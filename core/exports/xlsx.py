"""The XLSX file, written straight from Arrow record batches: an XLSX file is a zip of a few
small XML parts and one sheet, and the sheet's XML is made a column at a time with Arrow's
string kernels (no Python per cell), then deflated into the zip as it is made, so memory stays
flat whatever the number of rows.

Every text value is an inline string cell (`t="inlineStr"`), never a formula, and is
formula-protected before (`core.exports.protection`); every number is written exactly as Arrow
prints it, the shortest text that reads back as the same double (or the whole integer). Text is
escaped for XML (`& < >`), and as Excel itself does: a character XML cannot hold (the C0
controls but tab and line feed, U+FFFE, U+FFFF) becomes `_xHHHH_`, and a literal `_xHHHH_` gets
its underscore escaped (`_x005F_xHHHH_`), so every value reads back as it was stored.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.exports.protection import _file_batch, protect_array
from core.exports.request import (
    FLOAT,
    INT,
    NAMES,
    TIME,
    XLSX_MAX_CELL,
    XLSX_MAX_ROWS,
    Column,
    ExportTooLargeForExcel,
)

DEFLATE_LEVEL = 1  # zlib's fastest: the sheet is 5-10x smaller deflated at any level

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTENT_TYPES = (
    _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
    'package.core-properties+xml"/><Override PartName="/xl/styles.xml" ContentType="'
    'application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
    'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/></Types>'
)
_ROOT_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL}/'
    'officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" Type="'
    'http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL}/'
    'worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="'
    f'{_REL}/styles" Target="styles.xml"/></Relationships>'
)
_FONT = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
_STYLES = (  # style 0 is the default, style 1 the bold header
    _HEAD + f'<styleSheet xmlns="{_MAIN}"><fonts count="2"><font>{_FONT}</font>'
    f'<font><b/>{_FONT}</font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
    '</fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1">'
    "<border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs "
    'count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs '
    'count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" '
    'fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles '
    'count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
_WIDTHS = {INT: 12, FLOAT: 14, TIME: 26, NAMES: 36}  # characters; text columns 24


def _letters(index: int) -> str:
    """The column's name in a cell reference: 0 is A, 25 is Z, 26 is AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _workbook_xml(sheet: str) -> str:
    return (
        _HEAD + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/>'
        f'</bookViews><sheets><sheet name="{escape(sheet, {chr(34): "&quot;"})}" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>'
    )


def _core_xml(title: str, created: dt.datetime) -> str:
    when = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        _HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
        f'XMLSchema-instance"><dc:title>{_excel_text(title)}</dc:title><dcterms:created '
        f'xsi:type="dcterms:W3CDTF">{when}</dcterms:created><dcterms:modified '
        f'xsi:type="dcterms:W3CDTF">{when}</dcterms:modified></cp:coreProperties>'
    )


def _sheet_head(columns: Sequence[Column]) -> str:
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{_WIDTHS.get(c.kind, 24) + 0.7109375}" customWidth="1"/>'
        for i, c in enumerate(columns, start=1)
    )
    header = "".join(
        f'<c r="{_letters(i)}1" s="1" t="inlineStr"><is><t>{_excel_text(c.key)}</t></is></c>'
        for i, c in enumerate(columns)
    )
    return (
        _HEAD + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews><sheetView '
        'tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>'
        f'</sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
        f'<row r="1">{header}</row>'
    )


_SHEET_TAIL = (
    '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
    'footer="0.3"/></worksheet>'
)

# --- Text, as an inline string ---------------------------------------------------------------

_CONTROL = {c: f"_x{c:04X}_" for c in [*range(0x09), *range(0x0B, 0x20)]}
_LITERAL_ESCAPE = re.compile("(_x[0-9A-Fa-f]{4}_)")
_CONTROL |= {0xFFFE: "_xFFFE_", 0xFFFF: "_xFFFF_"}


def _excel_text(text: str) -> str:
    """One text as the content of a `<t>` element: Excel's escapes, then XML's."""
    text = _LITERAL_ESCAPE.sub(r"_x005F\1", text).translate(_CONTROL)
    return escape(text)


# --- The rows of a batch --------------------------------------------------------------------
#
# A batch's XML is a sequence of pieces per row: a few constant strings (`<c r="B`,
# `" t="inlineStr"><is><t>`, `</t></is></c>`, ...) and the values. All the pieces go into one
# Arrow array (the value columns, then the constants), and one `take` with a (rows x pieces)
# index puts them in row order: the taken array's bytes are the XML. A missing value points its
# pieces at the empty string, so the cell is left out.

_EMPTY, _PLAIN, _ODD = 0, 1, 2  # a cell's state: no value, a value, a special value
# the start and the end of a cell by its state; a cell names no column (`r`), it follows the
# one before in its row (ECMA-376 18.3.1.4), so a missing value is an empty cell, `<c/>`
_TEXT_HEAD = ("<c/>", '<c t="inlineStr"><is><t>', '<c t="inlineStr"><is><t xml:space="preserve">')
_TEXT_TAIL = ("", "</t></is></c>", "</t></is></c>")
_NUMBER_HEAD = ("<c/>", "<c><v>", '<c t="e"><v>#NUM!')  # NaN and infinity: Excel's #NUM!
_NUMBER_TAIL = ("", "</v></c>", "</v></c>")
_XML_BYTES = np.zeros(256, dtype=bool)  # bytes that may need an escape: & < > the controls
_XML_BYTES[[ord("&"), ord("<"), ord(">"), *(c for c in range(32) if c not in (9, 10))]] = True
_XML_BYTES[[ord("_"), 0xEF]] = True  # the start of `_xHHHH_` and of U+FFFE / U+FFFF
_EDGE_BYTES = np.zeros(256, dtype=bool)
_EDGE_BYTES[[9, 10, 13, 32]] = True


# Arrow arrays are made from buffers here: `pa.array` would import pandas (60 MB, 1 s).


def _int64(values: np.ndarray) -> pa.Array:
    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def _strings(texts: list[str]) -> pa.Array:
    """A string array of `texts` (none of them None)."""
    encoded = [t.encode() for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.large_string(), len(encoded), buffers).cast(pa.string())


def _valid(array: pa.Array) -> np.ndarray:
    """True where the array has a value (from its validity bitmap)."""
    n = len(array)
    bitmap = array.buffers()[0]
    if array.null_count == 0 or bitmap is None:
        return np.ones(n, dtype=bool)
    bits = np.unpackbits(np.frombuffer(bitmap, np.uint8), bitorder="little")
    return bits[array.offset : array.offset + n].astype(bool)


def _floats(array: pa.Array) -> np.ndarray:
    """The values of a float array as float64 (a missing one as whatever its slot holds)."""
    if array.type != pa.float64():
        array = array.cast(pa.float64())
    return np.frombuffer(array.buffers()[1], np.float64, len(array), array.offset * 8)


def _offsets_and_data(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    wide = pa.types.is_large_string(array.type)
    _validity, offsets, data = array.buffers()
    n = len(array)
    offsets = np.frombuffer(
        offsets, np.int64 if wide else np.int32, n + 1, array.offset * (8 if wide else 4)
    )
    body = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    return offsets.astype(np.int64), body


def _needs_escape(offsets: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows whose text needs an escape: those with only & < > (escaped by Arrow), and
    those with a character that Excel escapes (escaped in Python, see the module doc)."""
    start, end = int(offsets[0]), int(offsets[-1])
    body = data[start:end]
    hits = np.flatnonzero(_XML_BYTES[body])
    if not hits.size:
        return hits, hits
    byte = body[hits]
    after = body[np.minimum(hits + 1, body.size - 1)]
    after2 = body[np.minimum(hits + 2, body.size - 1)]
    xml = (byte == ord("&")) | (byte == ord("<")) | (byte == ord(">"))
    excel = ~xml & (byte != ord("_")) & (byte != 0xEF)  # a control character
    excel |= (byte == ord("_")) & (after == ord("x"))
    excel |= (byte == 0xEF) & (after == 0xBF) & (after2 >= 0xBE)
    excel_rows = np.unique(np.searchsorted(offsets, hits[excel] + start, side="right") - 1)
    xml_rows = np.unique(np.searchsorted(offsets, hits[xml] + start, side="right") - 1)
    return np.setdiff1d(xml_rows, excel_rows, assume_unique=True), excel_rows


class _Pieces:
    def __init__(self, n: int) -> None:
        self.n = n
        self.consts: dict[str, int] = {}
        self.arrays: list[pa.Array] = []
        self.columns: list[Any] = []

    def const(self, text: str) -> int:
        return -1 - self.consts.setdefault(text, len(self.consts))

    def values(self, array: pa.Array) -> np.ndarray:
        first = sum(len(a) for a in self.arrays)
        self.arrays.append(array)
        return np.arange(first, first + len(array), dtype=np.int64)

    def xml(self) -> pa.Buffer:
        total = sum(len(a) for a in self.arrays)
        index = np.column_stack([np.broadcast_to(c, self.n) for c in self.columns])
        consts = index < 0
        index[consts] = total - 1 - index[consts]
        size = sum(a.nbytes for a in self.arrays)
        kind = pa.large_string() if size > (1 << 30) else pa.string()
        parts = [a if a.type == kind else a.cast(kind) for a in self.arrays]
        pool = pa.concat_arrays([*parts, _strings(list(self.consts)).cast(kind)])
        xml = pool.take(_int64(index.ravel()))
        offsets, data = _offsets_and_data(xml)
        return pa.py_buffer(data[int(offsets[0]) : int(offsets[-1])])


def _text_values(pieces: _Pieces, array: pa.Array, state: np.ndarray) -> np.ndarray:
    """The value pieces of a text column (escaped), marking edge spaces in `state`."""
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.string())
    offsets, data = _offsets_and_data(array)
    lengths = np.diff(offsets)
    too_long = lengths.size and int(lengths.max()) > XLSX_MAX_CELL  # in bytes, then characters
    if too_long and pc.max(pc.utf8_length(array)).as_py() > XLSX_MAX_CELL:
        raise ExportTooLargeForExcel("export.error.xlsx_cell")
    full = lengths > 0
    state[~full] = _EMPTY  # an empty text is an empty cell, as in XlsxWriter's files before
    if data.size:
        first = data[np.minimum(offsets[:-1], data.size - 1)]
        last = data[np.maximum(offsets[1:] - 1, 0)]
        edge = full & (_EDGE_BYTES[first] | _EDGE_BYTES[last])
        state[edge & (state == _PLAIN)] = _ODD
    index = pieces.values(array)
    xml_rows, excel_rows = _needs_escape(offsets, data)
    if xml_rows.size:
        fixed = array.take(_int64(xml_rows))
        for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            fixed = pc.replace_substring(fixed, char, entity)
        index[xml_rows] = pieces.values(fixed)
    if excel_rows.size:
        texts = array.take(_int64(excel_rows)).to_pylist()
        index[excel_rows] = pieces.values(_strings([_excel_text(t) for t in texts]))
    return index


def _is_number(array: pa.Array) -> bool:
    t = array.type
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def _sheet_rows(arrays: Sequence[pa.Array], kinds: Sequence[str], first: int) -> pa.Buffer:
    """The `<row>` elements of one batch, rows `first`, `first + 1`, ... as UTF-8 bytes."""
    n = len(arrays[0])
    pieces = _Pieces(n)
    numbers = _int64(np.arange(first, first + n, dtype=np.int64)).cast(pa.string())
    empty = pieces.const("")
    pieces.columns += [pieces.const('<row r="'), pieces.values(numbers)]
    # one piece between two values: the end of the cell before and the start of this one
    before, before_tails = np.zeros(n, dtype=np.int64), ('">', '">', '">')
    for i, array in enumerate(arrays):
        valid = _valid(array)
        state = np.where(valid, _PLAIN, _EMPTY)
        if pa.types.is_null(array.type):
            heads, tails, values = _TEXT_HEAD, _TEXT_TAIL, np.full(n, empty, dtype=np.int64)
        elif _is_number(array):
            heads, tails = _NUMBER_HEAD, _NUMBER_TAIL
            values = pieces.values(array.cast(pa.string()))
            if pa.types.is_floating(array.type):
                floats = _floats(array)
                state[~np.isfinite(floats) & valid] = _ODD
                values[state == _ODD] = empty
                values[(floats == 0) & np.signbit(floats)] = pieces.const("-0.0")  # not "-0"
        else:  # text (protected already), or a number column that SQLite gave as text
            text = protect_array(array) if kinds[i] in (INT, FLOAT) else array
            heads, tails = _TEXT_HEAD, _TEXT_TAIL
            values = _text_values(pieces, text, state)
        joins = np.array([[pieces.const(t + h) for h in heads] for t in before_tails])
        pieces.columns += [joins[before, state], values]
        before, before_tails = state, tails
    pieces.columns.append(np.array([pieces.const(t + "</row>") for t in before_tails])[before])
    return pieces.xml()


def _write_sheet_xlsx(
    out: Any,
    columns: Sequence[Column],
    batches: Iterable[pa.RecordBatch],
    title: str,
    created: dt.datetime,
    sheet: str,
) -> int:
    """Writes the XLSX file to the binary stream `out` (left open); returns the data rows."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=DEFLATE_LEVEL) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("docProps/core.xml", _core_xml(title, created))
        z.writestr("xl/workbook.xml", _workbook_xml(sheet))
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        n = 0
        kinds = [c.kind for c in columns]
        with z.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(_sheet_head(columns).encode())
            for batch in batches:
                if not batch.num_rows:
                    continue
                if n + batch.num_rows > XLSX_MAX_ROWS:
                    raise ExportTooLargeForExcel("export.error.xlsx_rows")
                arrays = _file_batch(batch, columns, True)
                part.write(_sheet_rows(arrays, kinds, n + 2))
                n += batch.num_rows
            part.write(_SHEET_TAIL.encode())
    return n
