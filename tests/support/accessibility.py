"""Accessibility checks for the browser tests: axe-core's rules, tap-target sizes and where the focus is.

axe-core is a test dependency, not the frontend's: it is installed from npm (pinned below) into the
session's temporary directory and injected into each page it checks.
"""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page
from support.frontend import INSTALL_TIMEOUT_SECONDS, require_node, run_npm

AXE_CORE_VERSION = "4.14.1"
# WCAG 2.5.5's comfortable size, the one the issue asked for on phones (2.5.8's minimum is 24 px).
MIN_TAP_TARGET_PX = 44
INTERACTIVE = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex='0']"


def install_axe(directory: Path) -> str:
    """``npm install axe-core@AXE_CORE_VERSION`` into ``directory``; the source of its ``axe.min.js``."""
    require_node()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "package.json").write_text('{"name": "browser-test-tools", "private": true}\n', encoding="utf-8")
    run_npm(
        ["npm", "install", "--no-audit", "--no-fund", "--save-exact", f"axe-core@{AXE_CORE_VERSION}"],
        directory,
        INSTALL_TIMEOUT_SECONDS,
    )
    installed = json.loads((directory / "node_modules" / "axe-core" / "package.json").read_text(encoding="utf-8"))
    assert installed["version"] == AXE_CORE_VERSION, installed["version"]
    return (directory / "node_modules" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")


# axe-core reads colours as they are at that instant: a button fading from disabled to enabled (a 150 ms CSS
# transition) would be judged at half its opacity. So the run waits for finite animations to end, and a run
# during which any transition started is repeated (a file's status can change while axe is reading).
MAX_AXE_RUNS = 5
SETTLED_AXE_RUN = """async (maxRuns) => {
  const finite = () => document.getAnimations()
    .filter((animation) => animation.effect && animation.effect.getComputedTiming().endTime !== Infinity);
  for (let run = 1; ; run++) {
    await Promise.all(finite().map((animation) => animation.finished.catch(() => null)));
    let moved = false;
    const noteMove = () => { moved = true; };
    document.addEventListener('transitionrun', noteMove, true);
    const results = await window.axe.run(document, {resultTypes: ['violations']});
    document.removeEventListener('transitionrun', noteMove, true);
    if (!(moved || finite().length) || run === maxRuns) return results.violations;
  }
}"""


def axe_violations(page: Page, axe_source: str) -> list[str]:
    """Every rule axe-core's default set finds broken on the page as it is now, one line each."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source)
    results = page.evaluate(SETTLED_AXE_RUN, MAX_AXE_RUNS)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in results
    ]


def assert_accessible(page: Page, axe_source: str, state: str) -> None:
    """No axe-core violations in this page state (named in the failure message)."""
    violations = axe_violations(page, axe_source)
    assert not violations, f"axe-core found in {state!r}:\n" + "\n".join(violations)


def small_tap_targets(page: Page) -> list[str]:
    """Visible interactive elements smaller than MIN_TAP_TARGET_PX in either direction."""
    return page.evaluate(
        """([selector, minimum]) => [...document.querySelectorAll(selector)]
            .filter((element) => {
              const box = element.getBoundingClientRect();
              const style = getComputedStyle(element);
              const shown = box.width > 1 && box.height > 1 && style.visibility !== 'hidden';
              return shown && (box.width < minimum || box.height < minimum);
            })
            .map((element) => {
              const box = element.getBoundingClientRect();
              const name = element.getAttribute('aria-label') || element.textContent.trim().slice(0, 40);
              return `${element.tagName.toLowerCase()} "${name}" ${Math.round(box.width)}x${Math.round(box.height)}`;
            })""",
        [INTERACTIVE, MIN_TAP_TARGET_PX],
    )


def assert_tap_targets(page: Page, state: str) -> None:
    """Every visible control can be tapped comfortably."""
    small = small_tap_targets(page)
    assert not small, f"tap targets under {MIN_TAP_TARGET_PX} px in {state!r}: {small}"


def focused(page: Page) -> str:
    """The focused element as ``tag#id[data-testid]`` (``body`` when the focus was dropped)."""
    return page.evaluate(
        """() => {
          const element = document.activeElement;
          if (!element || element === document.body) return 'body';
          const testId = element.getAttribute('data-testid');
          return element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') + (testId ? `[${testId}]` : '');
        }"""
    )
