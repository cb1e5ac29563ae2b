"""One direction of dependency: no module imports from a layer above its own.

The layers, lowest first (infra/modules.py): site_builder (the build core), functions (what
ships to Lambda), infra (the deploy), local (``portal serve``, the Stripe-compatible server,
moto's adaptations), portal (the command). The Lambda package is ``functions/`` and what it
imports, so an upward import would also put the local system on Lambda.
"""

from __future__ import annotations

from infra import modules, package


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    upward = [
        f"{module} imports {imported}"
        for module, imported_modules in sorted(modules.imports().items())
        for imported in sorted(imported_modules)
        if modules.layer(imported) > modules.layer(module)
    ]
    assert upward == []


def test_the_map_sees_lazy_and_relative_imports() -> None:
    graph = modules.imports()
    assert "local.serve.system" in graph["portal.cli"]  # imported inside the serve command
    assert "local.stripe_server.server" in graph["local.stripe_server"]  # from .server import
    assert "functions.store.base" in graph["functions.store.sqlite"]


def test_the_lambda_package_is_functions_and_what_it_imports() -> None:
    code = {rel for rel, _ in package.code_files() if rel.endswith(".py")}
    tops = {rel.split("/", 1)[0] for rel in code}
    assert tops == {"functions", "site_builder"}
    assert "functions/handler.py" in code and "site_builder/render.py" in code
    # the build core's commands' parts are not imported by functions/, so they stay behind
    assert "site_builder/importer/__init__.py" not in code
    assert "site_builder/receivables/figures.py" not in code


def test_no_modules_import_each_other() -> None:
    """No cycle of imports (a submodule's implied import of its own package aside)."""
    graph = {
        module: {other for other in imported if not module.startswith(other + ".")}
        for module, imported in modules.imports().items()
    }
    done: set[str] = set()

    def cycle_from(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for imported in sorted(graph[module]):
            if found := cycle_from(imported, [*path, module]):
                return found
        done.add(module)
        return None

    cycles = [found for module in sorted(graph) if (found := cycle_from(module, []))]
    assert cycles == []
