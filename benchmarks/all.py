"""`nattvakt bench all`: every benchmark against `budgets.toml`, one table, and a Markdown report with plots.

Each benchmark runs as its own process (a crash or a hang in one cannot take the others down, and each starts
with a cold, comparable process), writes its figures with `--results`, and keeps its own exit status: the run
fails when any benchmark fails. The report folder holds `report.md`, one PNG per benchmark (latency
distributions against their budgets) and each benchmark's full output.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from benchmarks import BENCHMARKS
from benchmarks.results import BenchResult, read_result

LIBRARIES = ("numpy", "opencv-python-headless", "onnxruntime", "redis", "aiortc", "av", "fastapi", "sqlalchemy")
QUICK_OPTIONS: dict[str, list[str]] = {
    "frames": ["--quick"],
    "detection": ["--quick", "--latency-only"],
    "privacy": ["--limit", "30", "--every", "10"],
    "bus": ["--nodes", "20", "--seconds", "2"],
    "lookin": ["--runs", "3"],
    "events": ["--quick"],
    "heads": ["--clips", "Subject_1-Fall-13", "--every", "10"],
    "scale": ["--quick"],
    "login_flood": ["--quick"],
    "verify": ["--quick"],
}
"""Options for `--quick` (a smoke run of the whole command in seconds, e.g. in CI)."""


@dataclass(slots=True)
class Outcome:
    name: str
    status: int
    seconds: float
    result: BenchResult | None
    log: Path


def machine() -> dict[str, str]:
    """What the figures were measured on: they mean little without it."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "CPU": model,
        "cores": str(os.cpu_count()),
        "system": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "Python": platform.python_version(),
        "load average (1 min) at start": f"{os.getloadavg()[0]:.2f}",
    }
    for library in LIBRARIES:
        try:
            info[library] = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            info[library] = "not installed"
    return info


def run_one(name: str, folder: Path, options: list[str], timeout_s: float) -> Outcome:
    results, log = folder / f"{name}.json", folder / f"{name}.log"
    command = [sys.executable, "-m", BENCHMARKS[name], *options, "--results", str(results)]
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as handle:
        handle.write("$ " + " ".join(command) + "\n")
        handle.flush()
        try:
            status = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, timeout=timeout_s).returncode
        except subprocess.TimeoutExpired:
            handle.write(f"\nbench all: {name} did not finish within {timeout_s:g} s\n")
            status = 124
    result = None
    if results.exists():
        try:
            result = read_result(results)
        except ValueError as exc:
            with log.open("a", encoding="utf-8") as handle:
                handle.write(f"\nbench all: {exc}\n")
    return Outcome(name, status, time.monotonic() - started, result, log)


def table(outcomes: list[Outcome]) -> list[str]:
    """Rows of benchmark, stage, figure, measured, budget, verdict (Markdown)."""
    rows = ["| benchmark | stage | figure | measured | budget | verdict |", "|---|---|---|---|---|---|"]
    for outcome in outcomes:
        if outcome.result is None:
            verdict = "OK" if outcome.status == 0 else f"FAILED (exit {outcome.status})"
            rows.append(f"| {outcome.name} | — | — | no figures written | — | {verdict} |")
            continue
        for stage in outcome.result.stages:
            for figure in stage.figures:
                limit = "—" if figure.limit is None else f"{'≥' if figure.higher_is_better else '≤'} {figure.limit:g}"
                verdict = "—" if figure.limit is None else ("OK" if figure.ok else "**OVER**")
                rows.append(
                    f"| {outcome.name} | {stage.stage} | {figure.name} | {figure.value:g} {figure.unit} | {limit} "
                    f"| {verdict} |"
                )
        if outcome.status != 0 and outcome.result.ok:
            rows.append(f"| {outcome.name} | — | exit status | {outcome.status} | 0 | **FAILED** |")
    return rows


def plot(outcome: Outcome, folder: Path) -> Path | None:
    """Latency distributions (one panel per stage with samples), budgets as dashed lines."""
    if outcome.result is None:
        return None
    stages = [s for s in outcome.result.stages if s.samples_ms]
    if not stages:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(stages), 1, figsize=(8, 2.2 * len(stages)), squeeze=False)
    for ax, stage in zip(axes[:, 0], stages, strict=True):
        ax.hist(stage.samples_ms, bins=60, color="#4c72b0")
        ax.set_yscale("log")
        ax.set_title(f"{outcome.name}: {stage.stage} ({len(stage.samples_ms)} samples)", fontsize=9)
        ax.set_xlabel("ms", fontsize=8)
        for figure in stage.figures:
            if figure.limit is not None and figure.unit == "ms":
                ax.axvline(figure.limit, color="#c44e52", linestyle="--", linewidth=1)
                ax.text(figure.limit, ax.get_ylim()[1], f" {figure.name} budget", color="#c44e52", fontsize=7,
                        va="top")
    fig.tight_layout()
    path = folder / f"{outcome.name}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_cpu(outcomes: list[Outcome], folder: Path) -> Path | None:
    """CPU per frame and mean per-stage cost of the frame pipeline, side by side."""
    frames = next((o.result for o in outcomes if o.name == "frames" and o.result is not None), None)
    if frames is None:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, values = [], []
    for stage in frames.stages:
        mean = next((f.value for f in stage.figures if f.name == "mean_ms"), None)
        if mean is not None:
            labels.append(stage.stage)
            values.append(mean)
    cpu = frames.notes.get("CPU ms per frame")
    if isinstance(cpu, int | float):
        labels.append("CPU per frame")
        values.append(float(cpu))
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.barh(labels, values, color="#55a868")
    ax.set_xlabel("ms per frame (mean), 640x480, one thread")
    fig.tight_layout()
    path = folder / "cpu-per-frame.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(folder: Path, outcomes: list[Outcome], info: dict[str, str], started: datetime) -> Path:
    failed = [o.name for o in outcomes if o.status != 0]
    lines = [
        f"# Nattvakt benchmark report, {started:%Y-%m-%d %H:%M}",
        "",
        f"**{'All budgets hold.' if not failed else 'Budget broken or benchmark failed: ' + ', '.join(failed)}**",
        "",
        "## Machine",
        "",
        *[f"- {key}: {value}" for key, value in info.items()],
        "",
        "## Figures against budgets (`benchmarks/budgets.toml`)",
        "",
        *table(outcomes),
        "",
    ]
    for outcome in outcomes:
        lines += [f"## {outcome.name}", "", f"Exit status {outcome.status} after {outcome.seconds:.0f} s; "
                  f"full output: [{outcome.log.name}]({outcome.log.name}).", ""]
        if outcome.result is not None:
            lines += [f"- {key}: {value}" for key, value in outcome.result.notes.items()]
            lines.append("")
        picture = plot(outcome, folder)
        if picture is not None:
            lines += [f"![{outcome.name} latency distributions]({picture.name})", ""]
    cpu = plot_cpu(outcomes, folder)
    if cpu is not None:
        lines += ["## CPU per frame", "", f"![CPU per frame]({cpu.name})", ""]
    report = folder / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nattvakt bench all", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("var/bench-reports"), help="where the report folder goes")
    parser.add_argument("--only", nargs="+", choices=sorted(n for n in BENCHMARKS if n != "all"), help="a subset")
    parser.add_argument("--quick", action="store_true", help="smoke run: short options where a benchmark has them")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds one benchmark may take")
    parser.add_argument("--results", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        from tqdm import tqdm
    except ImportError:
        print("bench all: needs the bench extra: pip install 'nattvakt[bench]' (matplotlib, tqdm)", file=sys.stderr)
        return 2
    started = datetime.now()
    folder = args.out / f"bench-{started:%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=True)
    names = args.only or sorted(n for n in BENCHMARKS if n != "all")
    info = machine()
    outcomes: list[Outcome] = []
    with tqdm(names, desc="bench all", unit="benchmark", file=sys.stderr) as bar:
        for name in bar:
            bar.set_postfix_str(name)
            options = QUICK_OPTIONS.get(name, []) if args.quick else []
            outcomes.append(run_one(name, folder, options, args.timeout))
    rows = table(outcomes)
    print("\n".join(rows))
    report = write_report(folder, outcomes, info, started)
    failed = [o.name for o in outcomes if o.status != 0]
    print(f"\nreport: {report}")
    if failed:
        print(f"bench all: budget broken or benchmark failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
