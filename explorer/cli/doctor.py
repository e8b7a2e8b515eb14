"""`explorer doctor`: this machine, its libraries, and the backend measured fastest on it."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from explorer.cli.options import errors


def _gpu() -> list[str]:
    """CUDA devices as torch sees them (names from /proc when torch sees none)."""
    from explorer.embed.choice import machine

    if not machine()["gpus"]:  # no NVIDIA driver: no need to import torch to ask
        return []
    try:
        import torch

        if torch.cuda.is_available():
            return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except ImportError:
        pass
    return [f"{g} (torch sees no CUDA)" for g in machine()["gpus"]]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--probe", is_flag=True, help="Measure the backends again (about a minute) and cache that."
)
@click.option(
    "--model", default=None, help="Model name or local path (default: bundled all-MiniLM-L6-v2)."
)
@errors
def doctor(as_json: bool, probe: bool, model: str | None) -> None:
    """Show the machine, the library versions, each embedding backend's speed and quality
    measured here, and the backend `auto` uses (measured on first use, then cached)."""
    from explorer.embed.choice import MARGIN, MIN_COSINE, MIN_OVERLAP, machine, versions
    from explorer.embed.embedder import (
        ENV_BACKEND,
        backend_choice,
        resolve_backend,
        resolve_model,
    )
    from explorer.storage import cache_origin, cache_root, models_root

    spec = resolve_model(model)
    m = dict(machine()) | {"gpus": _gpu()}
    env = os.environ.get(ENV_BACKEND, "").strip()
    out: dict[str, Any] = {"machine": m, "versions": versions(), "model": spec.model_id}
    root = cache_root()
    built = sorted(p.parent.name for p in root.glob("*/manifest.json")) if root.is_dir() else []
    out["cache"] = {"path": str(root.resolve()), "from": cache_origin(), "corpora": built}
    if spec.path is None:
        out["choice"] = {"backend": "torch", "reason": "a hub model: nothing local to measure"}
    else:
        out["choice"] = backend_choice(spec, models_root(), reprobe=probe).to_dict()
    if env and env != "auto":
        resolve_backend(None, spec)  # an unknown name: one line, as every command says it
        out["override"] = f"{ENV_BACKEND}={env} is set: explorer uses {env}, not the choice"
    if as_json:
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    flags = ", ".join(m["flags"]) or "none of avx2, avx512f, avx512_vnni, avx512_bf16, amx"
    click.echo(f"machine:  {m['cpu']}, {m['cores']} logical cores; {flags}")
    click.echo(f"GPU:      {', '.join(m['gpus']) or 'none'}")
    click.echo("versions: " + ", ".join(f"{k} {v}" for k, v in out["versions"].items()))
    click.echo(f"model:    {spec.model_id}")
    cache = out["cache"]
    click.echo(f"cache:    {cache['path']} ({cache['from']}; --cache or $EXPLORER_CACHE moves it)")
    click.echo(f"corpora:  {', '.join(cache['corpora']) or 'none built yet'}")
    c = out["choice"]
    if c.get("figures"):
        t = c["measured"]
        click.echo(
            f"\nmeasured {t.get('at', '?')} on {t.get('texts', '?')} abstracts in "
            f"{t.get('seconds', '?')} s (load average {t.get('load_average') or 0:.1f}); bars: "
            f"mean cos >= {MIN_COSINE}, top-10 overlap >= {MIN_OVERLAP}; "
            f"a backend that changes the vectors must be >= {MARGIN}x torch"
        )
        head = ("backend", "texts/s", "x torch", "x cpu", "mean cos", "min cos", "top-10", "")
        click.echo(
            f"{head[0]:<14} {head[1]:>8} {head[2]:>8} {head[3]:>6} {head[4]:>8} {head[5]:>8} "
            f"{head[6]:>6}"
        )
        for f in c["figures"]:
            if f["error"]:
                click.echo(f"{f['name']:<14} unavailable: {f['error']}")
                continue
            click.echo(
                f"{f['name']:<14} {f['texts_per_s']:8.1f} {f['ratio']:8.2f} {f['cpu_ratio']:6.2f} "
                f"{f['mean_cos']:8.4f} {f['min_cos']:8.4f} {f['overlap']:6.3f}  "
                + ("pass" if f["passed"] else "FAIL")
            )
    click.echo(f"\nchoice:   {c['backend']} ({c['reason']})")
    if c.get("path"):
        click.echo(f"cached:   {c['path']} (explorer doctor --probe measures again)")
    if "override" in out:
        click.echo(f"note:     {out['override']}")
