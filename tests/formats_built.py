"""An .ods and a legacy .xls written byte by byte, for the tests of check's other formats: a small
OpenDocument spreadsheet (its mimetype, manifest and content.xml, with anything added) and an OLE2
compound file with the streams and storages asked for (a Workbook stream of BIFF records, a VBA
project's storages). Neither needs LibreOffice: each is refused before LibreOffice would see it."""
import struct
import zipfile

MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ODF = "urn:oasis:names:tc:opendocument:xmlns:{}:1.0"
NAMESPACES = {**{prefix: ODF.format(prefix) for prefix in ("office", "table", "text", "script", "manifest")},
              "draw": ODF.format("drawing"), "xlink": "http://www.w3.org/1999/xlink",
              "of": "urn:oasis:names:tc:opendocument:xmlns:of:1.2"}
DECLARED = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items()).encode()


def ods(folder, name="hostile.ods", scripts=b"", table=b"", cell=b'<table:table-cell office:value-type="float" '
        b'office:value="1"/>', members=None, mimetype=MIMETYPE, manifest=b"", doctype=b""):
    """An .ods of one sheet: scripts inside office:scripts, table inside the sheet's table:table
    before its row, cell as its one cell, members {name: bytes} besides."""
    content = (b'<?xml version="1.0" encoding="UTF-8"?>' + doctype + b"<office:document-content " + DECLARED +
               b' office:version="1.3"><office:scripts>' + scripts + b"</office:scripts><office:body>"
               b'<office:spreadsheet><table:table table:name="Sheet1">' + table + b"<table:table-row>" + cell +
               b"</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>")
    entries = b"".join(b'<manifest:file-entry manifest:full-path="%s" manifest:media-type=""/>' % n.encode()
                       for n in (members or {}))
    manifest_xml = (b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest ' + DECLARED + b'>'
                    b'<manifest:file-entry manifest:full-path="/" manifest:media-type="' + mimetype + b'"/>'
                    b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
                    + manifest + b"</manifest:file-entry>" + entries + b"</manifest:manifest>")
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # stored, first, as ODF has it
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", manifest_xml)
        for member, data in (members or {}).items():
            z.writestr(member, data)
    return path


def biff(*records):
    """A Workbook stream: BOF, the records given as (type, data), EOF."""
    body = [(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0)), *records, (0x000A, b"")]
    return b"".join(struct.pack("<HH", kind, len(data)) + data for kind, data in body)


def boundsheet(name, kind):
    """A BOUNDSHEET record of a sheet of that kind (0 worksheet, 1 Excel 4 macro sheet, 6 VBA module)."""
    return 0x0085, struct.pack("<IBBBB", 0, 0, kind, len(name), 0) + name.encode("latin-1")


FREE, END, FAT_SECTOR, NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _entry(name, kind, child=NONE, right=NONE, start=END, size=0):
    encoded = (name + "\0").encode("utf-16-le")
    return (encoded.ljust(64, b"\0") + struct.pack("<HBBIII", len(encoded), kind, 1, NONE, right, child) + bytes(36)
            + struct.pack("<IQ", start, size))


def compound_file(path, stream_name="Workbook", stream=b"", storages=()):
    """An OLE2 compound file (version 3, 512-byte sectors) holding one stream, padded to 4096 bytes so
    that it needs no mini stream, and the nested storages given (e.g. ("_VBA_PROJECT_CUR", "VBA")),
    each the child of the one before."""
    stream = stream.ljust(4096, b"\0")
    names = list(storages)
    directory_sectors = (2 + len(names) + 3) // 4  # 128-byte entries, four a sector
    first_stream = 1 + directory_sectors
    entries = [_entry("Root Entry", 5, child=1),
               _entry(stream_name, 2, right=2 if names else NONE, start=first_stream, size=len(stream))]
    entries += [_entry(name, 1, child=3 + k if k + 1 < len(names) else NONE) for k, name in enumerate(names)]
    directory = b"".join(entries).ljust(512 * directory_sectors, b"\0")
    fat = [FAT_SECTOR] + [k + 1 for k in range(1, directory_sectors)] + [END]
    fat += [first_stream + k + 1 for k in range(7)] + [END]
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
              + struct.pack("<I", 0) + struct.pack("<I", FREE) * 108)
    fat_sector = b"".join(struct.pack("<I", x) for x in fat + [FREE] * (128 - len(fat)))
    path.write_bytes(header + fat_sector + directory + stream)
    return path
