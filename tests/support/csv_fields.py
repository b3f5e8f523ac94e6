"""A CSV file read field by field with whether each field was quoted, which Python's csv module
does not tell: for the tests of "every text value quoted, numbers not"."""

from __future__ import annotations


def fields(data: bytes) -> list[list[tuple[str, bool]]]:
    """The file's records as (value, quoted?) pairs: what csv.reader does not tell."""
    text = data.decode("utf-8-sig")
    records: list[list[tuple[str, bool]]] = []
    record: list[tuple[str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':
            parts, j = [], i + 1
            while True:
                k = text.index('"', j)
                parts.append(text[j:k])
                if text.startswith('"', k + 1):
                    parts.append('"')
                    j = k + 2
                else:
                    i = k + 1
                    break
            record.append(("".join(parts), True))
        else:
            k = i
            while k < n and text[k] not in ',\r\n"':
                k += 1
            record.append((text[i:k], False))
            i = k
        if text.startswith(",", i):
            i += 1
        elif text.startswith("\r\n", i):
            records.append(record)
            record = []
            i += 2
        else:
            raise AssertionError(f"not CSV at {i}: {text[i : i + 20]!r}")
    return records
