"""What the import contracts in pyproject.toml (`lint-imports`) cannot say by themselves.

import-linter's `acyclic_siblings` finds circles between the children of one package, and the
layers contract forbids imports up the floors, but two modules of sibling apps on one floor
(apps and userflows, say) could still import each other. These tests read the import graph
with grimp, the library import-linter stands on, counting imports made inside functions too.
"""

import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def our_packages() -> set[str]:
    """The project's top-level packages: every folder at the root with an __init__.py."""
    return {init.parent.name for init in ROOT.glob("*/__init__.py")} - {"tests"}


def test_every_package_of_ours_is_under_the_import_contracts() -> None:
    """A new top-level package (an app, a floor) must be added to root_packages, or no contract
    would ever look at its imports, and to the no-circle contract's ancestors."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert set(config["root_packages"]) == our_packages()
    acyclic = [c for c in config["contracts"] if c["type"] == "acyclic_siblings"]
    assert [set(contract["ancestors"]) for contract in acyclic] == [our_packages()]


def test_no_module_of_ours_imports_itself_through_others() -> None:
    graph = grimp.build_graph(*sorted(our_packages()), cache_dir=None)
    circles: set[tuple[str, ...]] = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                circle = (module, *back)
                start = circle.index(min(circle[:-1]))  # one rotation per circle
                circles.add(circle[start:-1] + circle[:start] + (circle[start],))
    assert sorted(circles) == []
