"""Write the table of corpus cases and their outcomes: ``python -m tests.reliability.report docs/reliability-cases.md``.

One run of ``innofund run`` over the whole corpus; each case's file is looked up in its reconciliation."""

import sys
import tempfile
from pathlib import Path

from .corpus import cases, write_corpus
from .harness import reconciliation, run


def outcome_table() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        done = run(write_corpus(root), root / "output", root / "home")
        rec = reconciliation(root / "output")
    rec["file"] = rec["source_file"].str.split("!").str[0]
    lines = [f"Run exit code {done.returncode} (3: some files unreadable, the rest published).", "",
             "| case | damage | expected | read | published | quarantined | excluded | balanced | problem named |",
             "|---|---|---|---|---|---|---|---|---|"]
    listed = [(c.case_id, c.source_id, c.file_name, c.damage, c.expect) for c in cases()]
    listed.append(("landing.symlink_out", "forskningsradet_soknader", "link_out.csv", "a link to a file outside landing",
                   "unreadable"))
    for case_id, source_id, name, damage, expect in listed:
        mine = rec[(rec["source_id"] == source_id) & (rec["file"] == name)]
        problem = "; ".join(p for p in mine["read_problem"].dropna() if p)[:90].replace("|", "/")
        lines.append(f"| `{case_id}` | {damage} | {expect} | {int(mine['rows_read'].sum())} | "
                     f"{int(mine['rows_published'].sum())} | {int(mine['rows_quarantined'].sum())} | "
                     f"{int(mine['rows_excluded'].sum())} | {bool(mine['balanced'].all()) and len(mine) > 0} | {problem} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(outcome_table(), encoding="utf-8")
