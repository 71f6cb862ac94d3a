"""A workbook edited through a real, headless LibreOffice, as a learner edits one: rows inserted
and deleted, cells set, a row's formulas copied down (Ctrl+D). For the tests of what a learner's
edit does to a design workbook; no python3-uno needed.

A throw-away user profile is created with a Basic macro in "My Macros" (Standard.Module1),
which soffice runs via a macro:/// URL. The macro reads a tab-separated job file named by the
LO_EDIT_JOB environment variable, applies the edits, saves as xlsx, writes "OK" (or the
error) to <job>.result and terminates soffice. Application macros need no macro-security OK.
"""
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

BASIC = r'''
Dim gMsg As String
Sub Edit
  Dim job As String, doc As Object, xl As Object, c As Object, i As Integer, f, lines
  job = ConvertToURL(Environ("LO_EDIT_JOB"))
  On Error GoTo Fail
  lines = ReadLines(job)
  Dim args(0) As New com.sun.star.beans.PropertyValue
  args(0).Name = "Hidden" : args(0).Value = True
  gMsg = "cannot load " & lines(0) & ": "
  doc = StarDesktop.loadComponentFromURL(lines(0), "_blank", 0, args())
  xl = doc.createInstance("com.sun.star.sheet.FormulaParser")
  xl.FormulaConvention = com.sun.star.sheet.AddressConvention.XL_A1
  xl.CompileEnglish = True
  xl.OpCodeMap = doc.createInstance("com.sun.star.sheet.FormulaOpCodeMapper").getAvailableMappings( _
    com.sun.star.sheet.FormulaLanguage.XL_ENGLISH, com.sun.star.sheet.FormulaMapGroup.ALL_EXCEPT_SPECIAL)
  For i = 2 To UBound(lines)
    f = Split(lines(i), Chr(9))
    gMsg = "edit " & (i - 1) & " (" & Join(f, " ") & "): "
    Select Case f(0)
      Case "insert_rows" : GetSheet(doc, f(1)).getRows().insertByIndex(CLng(f(2)) - 1, CLng(f(3)))
      Case "delete_rows" : GetSheet(doc, f(1)).getRows().removeByIndex(CLng(f(2)) - 1, CLng(f(3)))
      Case "set"
        c = GetSheet(doc, f(1)).getCellRangeByName(f(2))
        Select Case f(3)
          Case "N" : c.setValue(Val(f(4)))
          Case "F" : c.setTokens(xl.parseFormula(f(4), c.CellAddress))   ' Excel syntax: "," and Sheet!A1
          Case Else : c.setString(f(4))
        End Select
      Case "fill_down"   ' Ctrl+D: copy top row of the range down (FillMode SIMPLE = plain copy)
        GetSheet(doc, f(1)).getCellRangeByName(f(2)).fillSeries( _
          com.sun.star.sheet.FillDirection.TO_BOTTOM, com.sun.star.sheet.FillMode.SIMPLE, _
          com.sun.star.sheet.FillDateMode.FILL_DATE_DAY, 1, 0)
      Case Else : gMsg = gMsg & "unknown edit kind" : Error 5
    End Select
  Next i
  gMsg = "cannot store " & lines(1) & ": "
  doc.calculateAll()   ' make sure cached values written to the xlsx are fresh
  Dim sa(0) As New com.sun.star.beans.PropertyValue
  sa(0).Name = "FilterName" : sa(0).Value = "Calc MS Excel 2007 XML"
  doc.storeToURL(lines(1), sa())
  WriteText(job & ".result", "OK")
  GoTo Done
Fail:
  WriteText(job & ".result", "ERROR " & gMsg & Error$ & " (Basic error " & Err & ", line " & Erl & ")")
  Resume Done
Done:
  On Error Resume Next
  If Not IsNull(doc) And Not IsEmpty(doc) Then doc.close(True)
  StarDesktop.terminate()
End Sub

Function GetSheet(doc, sName)
  If Not doc.Sheets.hasByName(sName) Then gMsg = gMsg & "no sheet named '" & sName & "'; "
  GetSheet = doc.Sheets.getByName(sName)   ' raises NoSuchElementException if missing
End Function

Function ReadLines(url)   ' UTF-8 text file -> array of lines
  Dim s As Object, out(), t As String : n = -1
  s = CreateUnoService("com.sun.star.io.TextInputStream")
  s.setInputStream(CreateUnoService("com.sun.star.ucb.SimpleFileAccess").openFileRead(url))
  s.setEncoding("UTF-8")
  Do While Not s.isEOF()
    t = s.readLine()   ' the last line comes back with its LF attached: strip it
    Do While Right(t, 1) = Chr(10) Or Right(t, 1) = Chr(13) : t = Left(t, Len(t) - 1) : Loop
    If t <> "" Then n = n + 1 : ReDim Preserve out(n) : out(n) = t
  Loop
  s.closeInput() : ReadLines = out
End Function

Sub WriteText(url, text)
  Dim s As Object
  s = CreateUnoService("com.sun.star.io.TextOutputStream")
  s.setOutputStream(CreateUnoService("com.sun.star.ucb.SimpleFileAccess").openFileWrite(url))
  s.setEncoding("UTF-8") : s.writeString(text) : s.closeOutput()
End Sub
'''

def _field(v) -> str:
    s = str(v)
    if any(ch in s for ch in "\t\r\n"):
        raise ValueError(f"tabs/newlines not supported in edit fields: {s!r}")
    return s

def _encode(edit) -> str:
    kind, sheet, *rest = edit
    if kind == "set":
        cell, value = rest
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError(f"unsupported value {value!r}")
        tag = "N" if not isinstance(value, str) else "F" if value.startswith("=") else "S"
        rest = [cell, tag, repr(float(value)) if tag == "N" else value]
    elif kind not in ("insert_rows", "delete_rows", "fill_down"):
        raise ValueError(f"unknown edit kind {kind!r}")
    return "\t".join(_field(x) for x in (kind, sheet, *rest))

def edit_with_libreoffice(source: Path, destination: Path, edits: list, timeout: float = 120) -> None:
    source, destination = Path(source).resolve(strict=True), Path(destination).resolve()
    lines = [source.as_uri(), destination.as_uri()] + [_encode(e) for e in edits]
    with tempfile.TemporaryDirectory(prefix="lo_edit_") as tmp:
        tmp = Path(tmp)
        basic = tmp / "profile" / "user" / "basic"   # pre-seeded "My Macros" library container
        # LibreOffice's own empty "My Macros", beside its program folder (Debian: /usr/lib/libreoffice).
        shutil.copytree(Path(shutil.which("soffice")).resolve().parent.parent / "presets" / "basic", basic)
        (basic / "Standard" / "Module1.xba").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE script:module PUBLIC '
            '"-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">\n<script:module '
            'xmlns:script="http://openoffice.org/2000/script" script:name="Module1" '
            'script:language="StarBasic">' + escape(BASIC) + "</script:module>\n", encoding="utf-8")
        # Mark the profile as already set up; otherwise first start copies presets/ over
        # user/ and silently replaces our Module1.xba with the empty preset one.
        (basic.parent / "registrymodifications.xcu").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/'
            'registry"><item oor:path="/org.openoffice.Setup/Office"><prop oor:name="ooSetupInst'
            'Completed" oor:op="fuse"><value>true</value></prop></item></oor:items>\n', encoding="utf-8")
        job = tmp / "job.txt"
        job.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = Path(str(job) + ".result")
        cmd = ["soffice", "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
               "--nolockcheck", f"-env:UserInstallation={(tmp / 'profile').as_uri()}",
               "macro:///Standard.Module1.Edit"]
        env = dict(os.environ, LO_EDIT_JOB=str(job))
        # New session => own process group, so soffice + oosplash + soffice.bin die together.
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, text=True)
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
            raise RuntimeError(f"LibreOffice timed out after {timeout}s; output:\n{output}")
        status = result.read_text(encoding="utf-8") if result.exists() else "no result file (macro did not run)"
        if status != "OK" or proc.returncode != 0 or not destination.exists():
            raise RuntimeError(f"LibreOffice edit failed: {status}; exit code {proc.returncode}; output:\n{output}")
