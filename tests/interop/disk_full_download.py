"""Downloads a run's artifact into a directory on a full filesystem, through libmlflow's C ABI,
and prints one JSON line: {"status", "message", "left"} where `left` is every name found under
the destination afterwards. Run by test_artifacts.py inside a private mount namespace whose
destination is a 1 MiB tmpfs (so the disk really fills: ENOSPC, not a simulated error).

    python disk_full_download.py <tracking uri> <run id> <artifact path> <dst dir>
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import libmlflow_c  # noqa: E402


def main(tracking_uri: str, run_id: str, artifact_path: str, dst: str) -> None:
    library = libmlflow_c.load()
    client = library.open_client(tracking_uri, source_name=str(Path(__file__).resolve()))
    outcome = {"status": "MLFLOW_OK", "message": ""}
    try:
        client.download_artifacts(run_id=run_id, artifact_path=artifact_path, dst_path=dst)
    except libmlflow_c.LibmlflowError as e:
        outcome = {"status": e.status_name, "message": e.message}
    finally:
        client.free()
    outcome["left"] = sorted(str(p.relative_to(dst)) for p in Path(dst).rglob("*"))
    outcome["free_bytes"] = os.statvfs(dst).f_bavail * os.statvfs(dst).f_frsize
    print(json.dumps(outcome))


if __name__ == "__main__":
    main(*sys.argv[1:5])
