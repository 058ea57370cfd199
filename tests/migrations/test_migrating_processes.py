"""Several game processes starting at once against one fresh database, each with
``connect(migrate=True)``: exactly one applies the migrations, the others wait for it."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import time

from mud_persistence import AsyncPersistenceLayer

# Each process sleeps until the same moment, so that all of them migrate at once.
MIGRATE = textwrap.dedent(
    """
    import asyncio, sys, time
    from mud_persistence import AsyncPersistenceLayer

    async def main(url: str, start: float) -> None:
        layer = AsyncPersistenceLayer(url)
        time.sleep(max(0.0, start - time.time()))
        await layer.connect(migrate=True)
        await layer.close()

    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
    """
)


async def run_processes(
    script: str, *args: str, count: int, stdout: bool = False
) -> list[tuple[int, str]]:
    """Start ``count`` Python processes running ``script`` at once; their exit codes, and their
    stderr (with ``stdout``, their stdout and stderr)."""
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            script,
            *args,
            stdout=asyncio.subprocess.PIPE if stdout else None,
            stderr=asyncio.subprocess.STDOUT if stdout else asyncio.subprocess.PIPE,
        )
        for _ in range(count)
    ]
    results = []
    for process in processes:
        try:
            out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        except TimeoutError:
            process.kill()
            await process.wait()
            results.append((-1, "still running after 60 s: killed"))
        else:
            results.append((process.returncode or 0, (out if stdout else err).decode()))
    return results


async def test_fault_15_four_processes_migrating_one_fresh_database_all_succeed(
    fresh_database,
) -> None:
    url = await fresh_database()
    start = time.time() + 4  # after every process has imported the package
    results = await run_processes(MIGRATE, url, str(start), count=4)
    failures = [stderr.strip().splitlines()[-1] for code, stderr in results if code != 0]
    assert not failures, failures
    async with AsyncPersistenceLayer(url) as layer:  # connect() refuses pending migrations
        assert (await layer.migration_status()).is_current
