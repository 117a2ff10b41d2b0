"""``--format html``: one self-contained audit report an auditor opens in a browser and can forward.

No network: inline CSS, an inline SVG timeline and a small inline script (sorting and filtering), all
pinned by a Content-Security-Policy of their hashes, so nothing else in the page can run or load even if
an escaping mistake ever let scanned text through. Every string from scanned content (paths, commit
authors and subjects, ARNs) is escaped for HTML after control and bidi characters are made visible.
Secrets are redacted unless ``--no-redact`` asks otherwise (and the footer then says so).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
from typing import TextIO

from akscan import __version__
from akscan.model import Severity
from akscan.report import Report, safe
from akscan.report.audit import Credential, credentials, header
from akscan.report.text import _human_bytes

TIMELINE_LIMIT = 200  # keys drawn on the timeline; the table holds them all
DETAIL_LIMIT = 5000  # keys with a details section (each one is a few DOM nodes until opened)

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header,section,footer{max-width:1280px;margin:0 auto;padding:16px 24px}
header{background:#fff;border-bottom:1px solid #dde1e7;max-width:none}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:8px 0 12px}
.target{font-family:ui-monospace,monospace;color:#445;margin:0 0 12px;word-break:break-all}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:8px 16px;margin:0}
.facts div{background:#f6f7f9;border-radius:6px;padding:6px 10px}.facts dt{font-size:12px;color:#667}
.facts dd{margin:0;font-weight:600}
.chips{margin-top:12px}.chip{display:inline-block;border-radius:12px;padding:2px 10px;margin:2px 6px 2px 0;
font-weight:600;background:#e8eaee}
.critical{background:#7b1fa2;color:#fff}.high{background:#c62828;color:#fff}.medium{background:#ef8f00;color:#fff}
.low{background:#1565c0;color:#fff}.info{background:#78909c;color:#fff}
.incomplete{background:#fff3cd;border:1px solid #e0b000;padding:8px 12px;border-radius:6px;margin-top:12px}
table{border-collapse:collapse;width:100%;background:#fff;table-layout:fixed}
th,td{padding:6px 8px;border-bottom:1px solid #e6e8ec;
text-align:left;vertical-align:top}th{background:#eef0f3;cursor:pointer;user-select:none;position:sticky;top:0}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.mono,.mono{font-family:ui-monospace,monospace;font-size:13px;word-break:break-all}
.filters{display:flex;gap:8px;align-items:center;margin-bottom:8px;flex-wrap:wrap}
.filters input{flex:1;min-width:200px;padding:6px 8px}.filters select{padding:6px}
.yes{color:#c62828;font-weight:600}.no{color:#2e7d32}
details{content-visibility:auto;contain-intrinsic-size:auto 44px;background:#fff;border:1px solid #dde1e7;
border-radius:6px;margin:6px 0;padding:6px 12px}
summary{cursor:pointer;font-weight:600}details table{margin:8px 0}
svg text{font:11px ui-monospace,monospace;fill:#334}.legend span{margin-right:14px}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:middle;margin-right:4px}
.sw.head{background:#c62828}.sw.hist{background:#f2b35a}.sw.branch{background:#7e57c2}.sw.lost{background:#b0bec5}
td.key{white-space:nowrap;word-break:normal}
footer{color:#667;font-size:12px}
"""

_SCRIPT = """
(function () {
  var table = document.getElementById("keys");
  if (!table) return;
  var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
  var q = document.getElementById("q"), sev = document.getElementById("sev");
  var status = document.getElementById("status"), shown = document.getElementById("shown");
  var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
  function apply() {
    var text = q.value.toLowerCase(), s = sev.value, t = status.value, n = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var ok = (!s || r.getAttribute("data-sev") === s) && (!t || r.getAttribute("data-status") === t) &&
        (!text || texts[i].indexOf(text) >= 0);
      r.hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = n + " of " + rows.length + " shown";
  }
  var timer = null;
  q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 100); });
  sev.addEventListener("change", apply);
  status.addEventListener("change", apply);
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, column) {
    th.addEventListener("click", function () {
      var up = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var keyed = rows.map(function (r, i) {
        var v = r.cells[column].getAttribute("data-v");
        if (v === null) v = r.cells[column].textContent;
        var n = parseFloat(v);
        return {row: r, text: texts[i], v: isNaN(n) ? v.toLowerCase() : n, i: i};
      });
      keyed.sort(function (a, b) {
        if (a.v < b.v) return up ? -1 : 1;
        if (a.v > b.v) return up ? 1 : -1;
        return a.i - b.i;
      });
      rows = keyed.map(function (k) { return k.row; });
      texts = keyed.map(function (k) { return k.text; });
      var fragment = document.createDocumentFragment();
      rows.forEach(function (r) { fragment.appendChild(r); });
      body.appendChild(fragment);
    });
  });
  apply();
})();
"""


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _e(text: object) -> str:
    return html.escape(safe(str(text)), quote=True)


def write(report: Report, stream: TextIO) -> None:
    facts = header(report)
    entries = credentials(report.findings, report.group_key)
    policy = f"default-src 'none'; style-src {_csp_hash(_STYLE)}; script-src {_csp_hash(_SCRIPT)}"
    out: list[str] = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>akscan audit: {_e(facts['target'])}</title>",
        f"<style>{_STYLE}</style></head><body>",
    ]
    out += _header(facts)
    out += _repositories(report.repositories, entries)
    out += _timeline(entries)
    out += _table(entries, report.redact)
    out += _what_to_do(entries)
    out += _details(entries)
    out.append(
        f"<footer>Generated by akscan {_e(__version__)} on {_e(facts['generated'])}. "
        + ("Secrets are redacted in this report; " if report.redact else "SECRETS ARE SHOWN IN FULL (--no-redact); ")
        + "key IDs are shown so the keys can be found in the console. Ruleset "
        f"<span class=mono>{_e(facts['ruleset'][:16])}</span>.</footer>"
    )
    out.append(f"<script>{_SCRIPT}</script></body></html>")
    stream.write("\n".join(out) + "\n")


def _header(facts: dict) -> list[str]:  # type: ignore[type-arg]
    git = facts["git"]
    items: list[tuple[str, object]] = [("Command", f"akscan {facts['command']}")]
    if facts["repositories"]:
        states: dict[str, int] = {}
        for repository in facts["repositories"]:
            states[str(repository["status"])] = states.get(str(repository["status"]), 0) + 1
        items += [("Repositories", len(facts["repositories"]))]
        items += [(f"Repositories {state}", count) for state, count in sorted(states.items())]
    elif git:
        items += [
            ("Refs", git.get("refs", 0)),
            ("Commits", git.get("commits", 0)),
            ("Blobs", git.get("blobs", 0)),
            ("Tags", git.get("tags", 0)),
            ("Objects read this run", git.get("scanned_objects", 0)),
            ("Known clean (cache)", git.get("cached_objects", 0)),
            ("Unreachable commits", git.get("unreachable_commits", 0)),
        ]
    else:
        items.append(("Files", facts["files"]))
    items += [
        ("Bytes covered", _human_bytes(facts["bytes"])),
        ("Duration", f"{facts['duration']:.2f} s"),
        ("Complete", "yes" if facts["complete"] else "NO"),
        ("Occurrences", facts["findings"]),
        ("Unique credentials", facts["credentials"]),
    ]
    lines = [
        "<header><h1>akscan audit report</h1>",
        f'<p class="target">{_e(facts["target"])}</p><dl class="facts">',
        *(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in items),
        "</dl><div class=chips>",
    ]
    for severity in sorted(Severity, reverse=True):
        count = facts["by_severity"].get(str(severity), 0)
        if count:
            lines.append(f'<span class="chip {severity}">{count} {severity}</span>')
    for status, count in sorted(facts["by_status"].items()):
        lines.append(f'<span class="chip">{count} {_e(status)}</span>')
    lines.append("</div>")
    if not facts["complete"]:
        skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(facts["skipped"].items())) or "see the log"
        lines.append(
            f'<p class="incomplete"><strong>Incomplete scan:</strong> some content could not be read '
            f"({_e(skipped)}). Keys in what was not read are not in this report.</p>"
        )
    lines.append("</header>")
    return lines


def _repositories(repositories: list[dict], entries: list[Credential]) -> list[str]:  # type: ignore[type-arg]
    """Fleet reports: a table with a line per repository (status, occurrences, what went wrong), then a
    section per repository that holds keys, listing them (each links to the key's details)."""
    if not repositories:
        return []
    lines = [
        f'<section id="repositories"><h2>Repositories ({len(repositories)})</h2>',
        "<table><thead><tr><th>Repository</th><th>Status</th><th>Occurrences</th><th>Commits</th>"
        "<th>Seconds</th><th>Why</th></tr></thead><tbody>",
    ]
    for repository in repositories:
        status = str(repository.get("status"))
        seconds = float(repository.get("duration_seconds") or 0)
        shown = f'<span class="yes">{_e(status)}</span>' if status != "scanned" else _e(status)
        lines.append(
            f'<tr><td class="mono">{_e(repository.get("repository"))}</td><td>{shown}</td>'
            f'<td data-v="{int(repository.get("findings") or 0)}">{int(repository.get("findings") or 0)}</td>'
            f"<td>{int(repository.get('commits') or 0)}</td><td>{seconds:.1f}</td>"
            f"<td>{_e(repository.get('reason') or '')}</td></tr>"
        )
    lines.append("</tbody></table>")
    # Fleet findings are placed as "<repository>: <path>"; group each repository's keys under it.
    held: dict[str, list[tuple[int, Credential, str, int]]] = {}
    for index, entry in enumerate(entries):
        for finding in entry.findings:
            owner, _, path = finding.location.path.partition(": ")
            held.setdefault(owner, []).append((index, entry, path, finding.location.line))
    for repository in repositories:
        name = str(repository.get("repository"))
        if name not in held:
            continue
        lines.append(
            f'<details class="repository"><summary class="mono">{_e(name)} — {len(held[name])} place(s)</summary>'
            "<table><thead><tr><th>Severity</th><th>Key ID</th><th>Path</th><th>Line</th></tr></thead><tbody>"
        )
        for index, entry, path, line in held[name]:
            lines.append(
                f'<tr><td><span class="chip {entry.severity}">{entry.severity}</span></td>'
                f'<td class="mono"><a href="#k{index}">{_e(entry.key_id or entry.lead.rule_id)}</a></td>'
                f'<td class="mono">{_e(path)}</td><td>{line}</td></tr>'
            )
        lines.append("</tbody></table></details>")
    lines.append("</section>")
    return lines


def _date(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


# A key's state over time, as drawn: colour and what it means.
_AT_HEAD = ("#c62828", "at HEAD")
_IN_HISTORY = ("#f2b35a", "removed from HEAD, still in history a ref reaches")
_BRANCH_ONLY = ("#7e57c2", "never at HEAD: only on branches or tags")
_UNREACHABLE = ("#b0bec5", "only in objects no ref reaches")
_SWATCH = {_AT_HEAD: "head", _IN_HISTORY: "hist", _BRANCH_ONLY: "branch", _UNREACHABLE: "lost"}
_LABEL_CHAR = 6.8  # px per character of the timeline's monospace labels (11 px)


def _timeline(entries: list[Credential]) -> list[str]:
    """Per key, from its introduction to now: red while HEAD holds it, then amber while history a ref
    reaches still does (grey when only unreachable objects do); a key HEAD never held is purple (only a
    branch or tag has it) or grey (only unreachable objects) from the start. Never "at HEAD" unless it is."""
    now = datetime.datetime.now(datetime.timezone.utc)
    dated = []
    for entry in entries:
        introduced = entry.introduced
        start = _date(introduced.git.date) if introduced is not None and introduced.git is not None else None
        if start is not None:
            dated.append((entry, start, _date(entry.removed_date)))
    lines = ['<section id="timeline"><h2>Exposure timeline</h2>']
    if not dated:
        lines.append("<p>No dates: the timeline needs a history scan (<code>akscan git</code>).</p></section>")
        return lines
    shown = dated[:TIMELINE_LIMIT]
    first = min(start for _, start, _ in shown)
    span = max((now - first).total_seconds(), 86400.0)
    labels = [entry.key_id or entry.lead.rule_id for entry, _, _ in shown]
    # The labels are whole key IDs, never cut: the drawing starts after the longest.
    left, width, row = max(190, int(max(len(label) for label in labels) * _LABEL_CHAR) + 12), 900, 16
    height = row * len(shown) + 30

    def x(when: datetime.datetime) -> float:
        return left + width * max(0.0, min(1.0, (when - first).total_seconds() / span))

    def bar(y: int, begin: datetime.datetime, end: datetime.datetime, state: tuple[str, str], title: str) -> str:
        colour, meaning = state
        return (
            f'<rect x="{x(begin):.1f}" y="{y}" width="{max(x(end) - x(begin), 2):.1f}" height="12" '
            f'fill="{colour}" data-state="{_e(meaning)}"><title>{_e(title)}: {_e(meaning)}</title></rect>'
        )

    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 20}" height="{height}" '
        f'viewBox="0 0 {left + width + 20} {height}" role="img" aria-label="Exposure timeline">'
    ]
    for year in range(first.year + 1, now.year + 1):
        tick = x(datetime.datetime(year, 1, 1, tzinfo=datetime.timezone.utc))
        svg.append(f'<line x1="{tick:.1f}" x2="{tick:.1f}" y1="0" y2="{height - 18}" stroke="#dde1e7"/>')
        svg.append(f'<text x="{tick:.1f}" y="{height - 4}" text-anchor="middle">{year}</text>')
    for index, ((entry, start, removed), label) in enumerate(zip(shown, labels, strict=True)):
        y = index * row + 2
        svg.append(f'<text x="0" y="{y + 11}" class="key" font-family="monospace" font-size="11">{_e(label)}</text>')
        since = f"{label}: introduced {start.date()}"
        afterwards = _UNREACHABLE if entry.ref_count == 0 else _IN_HISTORY
        if entry.present_at_head:
            svg.append(bar(y, start, now, _AT_HEAD, since + ", still at HEAD"))
        elif removed is not None:
            svg.append(bar(y, start, removed, _AT_HEAD, since + f", removed from HEAD {removed.date()}"))
            svg.append(bar(y, removed, now, afterwards, label))
        else:  # HEAD never held it
            svg.append(bar(y, start, now, _UNREACHABLE if entry.ref_count == 0 else _BRANCH_ONLY, since))
    svg.append("</svg>")
    lines.append(
        '<p class="legend">'
        + "".join(
            f'<span><i class="sw {_SWATCH[state]}"></i>{_e(state[1])}</span>'
            for state in (_AT_HEAD, _IN_HISTORY, _BRANCH_ONLY, _UNREACHABLE)
        )
        + "</p>"
    )
    lines += svg
    if len(dated) > len(shown):
        lines.append(f"<p>The first {len(shown)} of {len(dated)} keys, most severe first.</p>")
    lines.append("</section>")
    return lines


_COLUMNS = (
    "Severity",
    "Provider",
    "Key ID",
    "Secret",
    "Verification",
    "Identity",
    "Reaches",
    "Introduced",
    "Author",
    "At HEAD",
    "Places",
    "Refs",
)


def _table(entries: list[Credential], redacted: bool) -> list[str]:
    statuses = sorted({e.status for e in entries})
    lines = [
        f'<section id="credentials"><h2>Credentials ({len(entries)} unique)</h2>',
        '<div class="filters"><input id="q" type="search" placeholder="Filter by key, path, author…" '
        'aria-label="Filter"><select id="sev" aria-label="Severity"><option value="">every severity</option>',
        *(f'<option value="{s}">{s}</option>' for s in sorted(Severity, reverse=True)),
        '</select><select id="status" aria-label="Verification"><option value="">every status</option>',
        *(f'<option value="{_e(s)}">{_e(s)}</option>' for s in statuses),
        '</select><span id="shown"></span></div>',
        '<table id="keys"><thead><tr>' + "".join(f"<th>{c}</th>" for c in _COLUMNS) + "</tr></thead><tbody>",
    ]
    for index, entry in enumerate(entries):
        introduced = entry.introduced
        git = introduced.git if introduced is not None else None
        at_head = entry.present_at_head
        head_cell = (
            "—" if at_head is None else ('<span class="yes">yes</span>' if at_head else '<span class="no">no</span>')
        )
        commit = f'<span class="mono">{_e((git.commit or "")[:12])}</span> ' if git is not None else ""
        cells = [
            f'<td data-v="{int(entry.severity)}"><span class="chip {entry.severity}">{entry.severity}</span></td>',
            f"<td>{_e(entry.lead.provider)}</td>",
            f'<td class="mono key"><a href="#k{index}">{_e(entry.key_id or "(no key ID)")}</a></td>',
            f'<td class="mono">{_e(entry.secret_shown(redacted))}</td>',
            f"<td>{_e(entry.status)}</td>",
            f"<td>{_e(entry.identity)}</td>",
            f"<td>{_e(entry.reaches) or '—'}</td>",
            f'<td data-v="{_e(git.date if git is not None else "")}">{commit}'
            f"{_e((git.date or '')[:10]) if git is not None else '—'}</td>",
            f"<td>{_e(git.author_name or '') if git is not None else '—'}</td>",
            f'<td data-v="{"" if at_head is None else int(at_head)}">{head_cell}</td>',
            f'<td data-v="{entry.occurrences}">{entry.occurrences} in {len(entry.paths())} path(s)</td>',
            f'<td data-v="{entry.ref_count}">{_refs_cell(entry)}</td>',
        ]
        lines.append(f'<tr data-sev="{entry.severity}" data-status="{_e(entry.status)}">' + "".join(cells) + "</tr>")
    lines.append("</tbody></table></section>")
    return lines


def _refs_cell(entry: Credential) -> str:
    """The refs reaching a key, by name (the first three), else how many."""
    names = entry.refs
    if not names:
        return str(entry.ref_count)
    shown = ", ".join(_e(name) for name in names[:3])
    return shown + (f" +{entry.ref_count - 3}" if entry.ref_count > 3 else "")


def _what_to_do(entries: list[Credential]) -> list[str]:
    """The steps every key shares, once (each key's details say how to disable that key)."""
    if not entries:
        return []
    history = next((e for e in entries if e.lead.git is not None), entries[0])
    return [
        '<section id="what-to-do"><h2>What to do, for every key</h2><ol>',
        "<li>Disable and rotate each key first: its details below give the console path and the command.</li>",
        *(f"<li>{_e(step)}</li>" for step in history.steps()[1:]),
        "</ol></section>",
    ]


def _details(entries: list[Credential]) -> list[str]:
    lines = ['<section id="details"><h2>Each credential: where it is and what to do</h2>']
    for index, entry in enumerate(entries[:DETAIL_LIMIT]):
        lead = entry.lead
        lines.append(
            f'<details id="k{index}"><summary><span class="chip {entry.severity}">{entry.severity}</span> '
            f'{_e(lead.provider)} <span class="mono">{_e(entry.key_id or lead.rule_id)}</span> — '
            f"{_e(lead.title)}</summary>"
        )
        introduced = entry.introduced
        if introduced is not None and introduced.git is not None:
            git = introduced.git
            lines.append(
                f"<p>Introduced by <span class=mono>{_e(git.commit or '')}</span> "
                f"({_e(git.author_name or '')} &lt;{_e(git.author_email or '')}&gt;, {_e(git.date or '')}): "
                f"{_e(git.summary or '')}</p>"
            )
            if git.removed_in:
                lines.append(
                    f"<p>Removed from its paths by <span class=mono>{_e(git.removed_in)}</span> "
                    f"({_e(git.removed_date or '')}); it stays in history until purged.</p>"
                )
        access = entry.access
        if access is not None:
            lines.append(f'<div class="access"><p>Reaches: {_e(entry.reaches)}</p><ul>')
            lines += [f"<li>policy <span class=mono>{_e(p)}</span></li>" for p in access.policies]
            lines += [f"<li>can escalate: {_e(reason)}</li>" for reason in access.escalation]
            lines += [f"<li>not known: {_e(unknown)}</li>" for unknown in access.unknown]
            lines.append("</ul></div>")
        refs = entry.refs
        if refs:
            more = f" and {entry.ref_count - len(refs)} more" if entry.ref_count > len(refs) else ""
            shown_refs = ", ".join(f"<span class=mono>{_e(r)}</span>" for r in refs)
            lines.append(f"<p>Reached by {shown_refs}{more}.</p>")
        elif introduced is not None and introduced.git is not None:
            lines.append("<p>No branch or tag reaches it: only unreachable objects hold it.</p>")
        lines.append(f"<p>Paths: {', '.join(f'<span class=mono>{_e(p)}</span>' for p in entry.paths())}</p>")
        lines.append("<table><thead><tr><th>Commit</th><th>Path</th><th>Line</th></tr></thead><tbody>")
        for place in entry.places():
            lines.append(
                f"<tr><td class=mono>{_e((place.commit or '')[:12])}</td><td class=mono>{_e(place.path)}</td>"
                f"<td>{place.line or ''}</td></tr>"
            )
        lines.append(
            f'</tbody></table><p>{_e(entry.steps()[0])} Then the other steps of <a href="#what-to-do">what to '
            "do</a>.</p></details>"
        )
    if len(entries) > DETAIL_LIMIT:
        lines.append(f"<p>Details for the first {DETAIL_LIMIT} of {len(entries)}; the JSON report has all.</p>")
    lines.append("</section>")
    return lines
