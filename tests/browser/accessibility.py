"""axe-core run on a page in the browser tests, its findings given as a readable report."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

AXE = Axe()


def axe_violations(page: Any) -> str:
    """Run axe on the page; an empty string when there is nothing to report."""
    results = AXE.run(page)
    lines = []
    for violation in results.response["violations"]:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}")
            lines.append(f"      {node.get('failureSummary', '')}".replace("\n", "\n      "))
    return "\n".join(lines)


def assert_accessible(page: Any) -> None:
    report = axe_violations(page)
    assert not report, f"axe found violations on {page.url}:\n{report}"
